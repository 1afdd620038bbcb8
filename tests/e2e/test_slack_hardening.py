"""Issue 11 against the real `python -m bot slack` process on loopback: forged, malformed and slow
requests, install-page floods. Loads are small and bounded; timeouts are shortened through settings."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import aiohttp
import pytest

from tests.conftest import default_database
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_requests import dm_message, event_callback, signed_headers
from tests.slack_process import SlackProcess, slack_process

SECRET = "hardening-signing-secret"


@pytest.fixture
async def slack():
    async with SlackStandIn() as stand_in:
        stand_in.add_user("U0HARD")
        yield stand_in


def env_for(slack: SlackStandIn, **extra: str) -> dict[str, str]:
    return dict(SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url, **extra)


async def post(session: aiohttp.ClientSession, bot: SlackProcess, body: str | bytes, headers: dict[str, str]) -> int:
    async with session.post(bot.base + "/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status


def log_lines(bot: SlackProcess, since: int) -> list[str]:
    return bot.log_path.read_bytes()[since:].decode(errors="replace").splitlines()


# defect 3: a rejected request is logged in one bounded line -----------------------------------------
async def test_unsigned_large_requests_add_a_bounded_line_each_to_the_log(tmp_path, slack):
    body = json.dumps(event_callback(dm_message("x" * 256 * 1024, user="U0HARD")))
    async with aiohttp.ClientSession() as session, slack_process(tmp_path, session, **env_for(slack)) as bot:
        before = bot.log_size()
        forged = {**signed_headers("not-the-secret", body, "application/json")}
        statuses = [await post(session, bot, body, forged) for _ in range(100)]
        await asyncio.sleep(0.2)
        grown = bot.log_size() - before
    assert statuses == [401] * 100
    assert grown < 100 * 300, f"{grown} bytes of log for 100 rejected requests"
    assert slack.calls == []


# defect 7: malformed requests get 401/400 before anything parses them, and one WARNING line ----------
async def test_malformed_requests_get_401_or_400_and_at_most_one_warning_each(tmp_path, slack):
    form, json_type = "application/x-www-form-urlencoded", "application/json"
    bad_payload = "payload=" + quote("{not-json")

    def unsigned(content_type: str, timestamp: str = str(int(time.time()))) -> dict[str, str]:
        return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=00", "Content-Type": content_type}

    cases = [
        # (body, headers, expected status)
        ("{}", unsigned(json_type, timestamp="soon"), 401),
        ("{not json", unsigned(json_type), 401),
        (bad_payload, unsigned(form), 401),
        ("{not json", signed_headers(SECRET, "{not json", json_type), 400),
        (bad_payload, signed_headers(SECRET, bad_payload, form), 400),
        ("[1, 2]", signed_headers(SECRET, "[1, 2]", json_type), 400),
        (b"\xff\xfe{}", unsigned(form), 400),
    ]  # fmt: skip
    async with aiohttp.ClientSession() as session, slack_process(tmp_path, session, **env_for(slack)) as bot:
        before = bot.log_size()
        statuses = [await post(session, bot, body, headers) for body, headers, _ in cases]
        await asyncio.sleep(0.5)
        lines = log_lines(bot, before)
        assert statuses == [expected for _, _, expected in cases]
        assert len(lines) <= len(cases) and all(" WARNING " in line for line in lines), lines
        signed = json.dumps(event_callback(dm_message("help", user="U0HARD")))  # the real thing still works
        assert await post(session, bot, signed, signed_headers(SECRET, signed, "application/json")) == 200
        await slack.wait_for("chat.postMessage", timeout=20)
    assert "Traceback" not in bot.log() and " ERROR " not in bot.log()


# defect 4: slow requests time out, connections are capped, /healthz keeps answering -------------------
async def trickle(port: int, head: bytes, give_up_after: float) -> float | None:
    """Open a connection, send `head`, then a byte every 0.2 s. Seconds until the server closed it (None:
    it never accepted it, or it was still open after `give_up_after`)."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), give_up_after)
    except (OSError, TimeoutError):
        return None

    async def drip() -> None:
        writer.write(head)
        while True:
            await asyncio.sleep(0.2)
            writer.write(b"x")
            await writer.drain()

    dripping = asyncio.create_task(drip())
    try:
        await asyncio.wait_for(reader.read(), give_up_after - (time.monotonic() - started))
        return time.monotonic() - started
    except ConnectionResetError:
        return time.monotonic() - started
    except TimeoutError:
        return None
    finally:
        dripping.cancel()
        writer.close()


SLOW_HEAD = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slack-Signature: v0="
SLOW_BODY = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 10000\r\n\r\n{"


@asynccontextmanager
async def process_for_floods(
    tmp_path, slack: SlackStandIn, open_files: int, **settings: str
) -> AsyncIterator[tuple[aiohttp.ClientSession, SlackProcess]]:
    """The process under an open-file limit, and a client session that opens a new connection each time."""
    fresh = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=fresh) as session, slack_process(
        tmp_path, session, open_files=open_files, **env_for(slack, **settings)
    ) as bot:
        yield session, bot


async def health_checks(session: aiohttp.ClientSession, bot: SlackProcess, times: int) -> list[tuple[int, float]]:
    """GET /healthz `times` times, 0.3 s apart: (status, seconds it took) each."""
    answered = []
    for _ in range(times):
        await asyncio.sleep(0.3)
        started = time.monotonic()
        async with session.get(bot.base + "/healthz", timeout=aiohttp.ClientTimeout(total=4)) as health:
            answered.append((health.status, round(time.monotonic() - started, 2)))
    return answered


async def test_slow_requests_are_closed_and_health_keeps_answering_under_a_256_file_limit(tmp_path, slack):
    timeout = 1.0
    async with process_for_floods(tmp_path, slack, 256, SLACK_HTTP_TIMEOUT=str(timeout)) as (session, bot):
        before = bot.log_size()
        slow = [asyncio.create_task(trickle(bot.port, (SLOW_HEAD, SLOW_BODY)[i % 2], 8.0)) for i in range(300)]
        answered = await health_checks(session, bot, 8)
        closed_after = await asyncio.gather(*slow)
        log = log_lines(bot, before)
    assert [status for status, _ in answered] == [200] * 8, answered
    accepted = [t for t in closed_after if t is not None]
    assert len(accepted) >= 250, f"only {len(accepted)} of 300 slow connections were accepted and then closed"
    assert max(accepted) < timeout + 5, sorted(accepted)[-5:]  # generous: the machine may be busy
    assert not [line for line in log if "Too many open files" in line or " ERROR " in line]
    assert len(log) <= 300, f"{len(log)} log lines for 300 slow connections"


async def test_running_out_of_file_handles_closes_slow_connections_and_logs_once(tmp_path, slack):
    """SLACK_MAX_CONNECTIONS set above what the open-file limit allows: accept() fails with "Too many
    open files". The server closes slow connections to recover and reports it once, not every second."""
    settings = dict(SLACK_HTTP_TIMEOUT="30", SLACK_MAX_CONNECTIONS="1000")
    async with process_for_floods(tmp_path, slack, 100, **settings) as (session, bot):
        before = bot.log_size()
        slow = [asyncio.create_task(trickle(bot.port, SLOW_HEAD, 5.0)) for _ in range(200)]
        await asyncio.sleep(0.7)
        answered = await health_checks(session, bot, 4)
        await asyncio.gather(*slow)
        log = log_lines(bot, before)
    assert [status for status, _ in answered] == [200] * 4
    reports = [line for line in log if "open files" in line]
    assert 1 <= len(reports) <= 2 and all(" WARNING " in line for line in reports), reports
    assert "Traceback" not in "\n".join(log)


# defect 6: the install page cannot grow the OAuth state table without bound ------------------------------
def oauth_states(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT state FROM slack_oauth_states")]


async def test_install_page_floods_are_refused_and_expired_states_pruned(tmp_path, slack):
    env = dict(
        SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="client-secret", SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url, SLACK_INSTALL_STATES="20",
    )  # fmt: skip
    db = default_database(tmp_path)
    async with aiohttp.ClientSession() as session, slack_process(tmp_path, session, **env) as bot:
        with sqlite3.connect(db) as conn:
            conn.execute("INSERT INTO slack_oauth_states (state, expire_at) VALUES ('old', '2000-01-01 00:00:00')")
        statuses = []
        for _ in range(60):
            async with session.get(bot.base + "/slack/install", allow_redirects=False) as page:
                statuses.append(page.status)
                body = await page.text()
        states = oauth_states(db)
    assert statuses == [200] * 20 + [429] * 40
    assert "try again in a few minutes" in body
    assert len(states) == 20 and "old" not in states
    assert sum(" WARNING " in line for line in bot.log().splitlines()) <= 40

