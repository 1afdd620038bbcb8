"""Operating the real processes: health that tells the truth about the database, Prometheus metrics
that move, logs that never show a secret (DEBUG and JSON included), one-line start-up errors.

Every test here runs `python -m bot slack|push|discord` as an operator would, against the loopback
stand-ins and a real SQLite file or a PostgreSQL server of its own (so it can be stopped)."""

from __future__ import annotations

import asyncio
import socket
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from storage.db import engine_for_tests
from storage.migrate import upgrade
from tests import pg
from tests.conftest import default_database
from tests.conftest import _fresh_pg_database
from tests.e2e.test_discord import ALICE, bot_process, embed, interact
from tests.e2e.test_discord import button as discord_button
from tests.e2e.test_push_processes import seed_due_half_an_hour_ago
from tests.e2e.test_slack import SECRET as SLACK_SECRET
from tests.e2e.test_slack import Harness, button, header
from tests.fakes.discord_api import DiscordStandIn
from tests.fakes.discord_payloads import click, slash
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_requests import block_actions, view_submission

ROOT = Path(__file__).resolve().parents[2]
SECRET = SLACK_SECRET  # what the Harness signs with
CLIENT_SECRET = "ops-client-secret-77ab"
LEARNER = "U0OPS"


def free_port() -> int:
    return pg.free_port()


def base_env(**extra: str) -> dict[str, str]:
    prefixes = ("DATABASE_URL", "BANK_DIR", "SLACK_", "DISCORD_", "PORT", "LOG_", "METRICS_", "HEALTH_", "PUSH_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = str(ROOT)
    return env | extra


_logs: dict[int, asyncio.Task[bytes]] = {}  # pid -> the task reading its stderr


async def start(command: str, cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m bot COMMAND`, its stderr read as it comes (a full pipe would block a chatty process)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command, cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    _logs[proc.pid] = asyncio.create_task(proc.stderr.read())
    return proc


async def stop(proc: asyncio.subprocess.Process) -> str:
    """SIGTERM, then everything it logged."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    reading = _logs.pop(proc.pid, None)
    if reading is None:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    else:
        err = await asyncio.wait_for(reading, 30)
        await asyncio.wait_for(proc.wait(), 30)
    return err.decode()


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, await response.text()


async def wait_up(session: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process) -> tuple[int, str]:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await get(session, url)
        except aiohttp.ClientConnectionError:
            assert time.monotonic() < deadline and proc.returncode is None, "the process never served " + url
            await asyncio.sleep(0.1)


async def scrape(session: aiohttp.ClientSession, base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics, parsed: (sample name, sorted labels) -> value."""
    status, text = await get(session, base + "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return samples.get(key, 0.0)


async def wait_metric(session, base: str, name: str, at_least: float, **labels: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        samples = await scrape(session, base)
        if value(samples, name, **labels) >= at_least:
            return samples
        assert time.monotonic() < deadline, f"{name}{labels} stayed at {value(samples, name, **labels)}"
        await asyncio.sleep(0.2)


# Slack: tokens and answers never logged, at DEBUG, in text or JSON --------------------------------------
@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_debug_logs_of_an_oauth_install_and_a_written_answer_hold_no_secret(tmp_path, log_format):
    answer = "my private answer: shard by tenant 5e1c"
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        slack.add_user(LEARNER, tz="Europe/Madrid", team_id="T0NEW")
        port = free_port()
        env = base_env(
            SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET=CLIENT_SECRET, SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url, PORT=str(port), LOG_LEVEL="DEBUG", LOG_FORMAT=log_format,
        )  # fmt: skip
        proc = await start("slack", tmp_path, env)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_up(session, base + "/healthz", proc)
            async with session.get(base + "/slack/install") as page:
                state = (await page.text()).split("state=", 1)[1].split('"', 1)[0].split("&", 1)[0]
                cookie = page.headers["Set-Cookie"].split(";", 1)[0]
            slack.add_oauth_code("code-1", "T0NEW")
            async with session.get(f"{base}/slack/oauth_redirect?code=code-1&state={state}", headers={"Cookie": cookie}) as done:
                assert done.status == 200
            issued = next(t for t, team in slack.tokens.items() if team == "T0NEW")
            h = Harness(slack, None, base + "/slack/events", session, None)  # type: ignore[arg-type]
            question = await h.command("question", user=LEARNER, team="T0NEW")
            hook = slack.response_url()
            opened = block_actions(button(question, "answer"), user=LEARNER, channel="C0GENERAL", response_url=hook, team="T0NEW")
            assert (await h.send(opened))[0] == 200
            await slack.wait_for("views.open")
            submitted = view_submission(slack.opened_views[-1], {"answer": {"text": answer}}, user=LEARNER, team="T0NEW")
            assert (await h.send(submitted))[0] == 200
            revealed = await h.response(hook)
            hook = slack.response_url()
            grade = block_actions(button(revealed, "grade", 3), user=LEARNER, channel="C0GENERAL", response_url=hook, team="T0NEW")
            assert (await h.send(grade))[0] == 200
            assert header(await h.response(hook)) == "Recorded: Solid"
        finally:
            log = await stop(proc)
    assert proc.returncode == 0, log[-3000:]
    assert "DEBUG" in log  # DEBUG was on
    for secret in (issued, CLIENT_SECRET, SECRET, answer, "code-1"):
        assert secret not in log, f"{secret!r} was logged"
    if log_format == "json":
        records = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is one object
        assert records and all({"time", "level", "logger", "message"} <= set(r) for r in records)
        assert any(r.get("request_id", "").startswith("slack:") for r in records), [r for r in records if "bot" in r["logger"]]


# Slack: health and metrics follow the SQLite file ----------------------------------------------------
async def test_slack_health_turns_503_and_grades_are_refused_once_the_sqlite_file_is_deleted(tmp_path):
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        slack.add_user(LEARNER, tz="Europe/Madrid")
        port, ops = free_port(), free_port()
        env = base_env(
            SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url,
            PORT=str(port), METRICS_PORT=str(ops),
        )  # fmt: skip
        proc = await start("slack", tmp_path, env)
        base, metrics = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ops}"
        try:
            assert await wait_up(session, base + "/healthz", proc) == (200, '{"ok": true}')
            assert await wait_up(session, metrics + "/healthz", proc) == (200, '{"ok": true}')
            h = Harness(slack, None, base + "/slack/events", session, None)  # type: ignore[arg-type]
            question = await h.command("question databases", user=LEARNER)
            revealed = await h.click(question, "reveal", user=LEARNER)
            assert header(await h.click(revealed, "grade", 3, user=LEARNER)) == "Recorded: Solid"
            samples = await scrape(session, metrics)
            assert value(samples, "ipb_interactions_total", platform="slack", command="question") == 1
            assert value(samples, "ipb_interaction_seconds_count", platform="slack", command="button grade") == 1
            assert value(samples, "ipb_reviews_recorded_total", platform="slack") == 1
            assert value(samples, "ipb_database_errors_total") == 0

            default_database(tmp_path).unlink()  # an operator's mistake, or a cleanup job
            for url in (base, metrics):
                status, body = await get(session, url + "/healthz")
                assert status == 503
                assert "interview_bot.db was deleted" in json.loads(body)["reason"]
            question = await h.command("question", user=LEARNER)
            assert header(question) == "Not recorded"  # not a question served from a file nobody will see
            samples = await scrape(session, metrics)
            assert value(samples, "ipb_interactions_failed_total", platform="slack", command="question") == 1
            assert value(samples, "ipb_database_errors_total") >= 1
            assert value(samples, "ipb_reviews_recorded_total", platform="slack") == 1
        finally:
            log = await stop(proc)
    assert proc.returncode == 0, log[-3000:]
    assert "Traceback" not in log  # the outage is one line per request, not a traceback


# PostgreSQL down: the slack and push processes both say so -------------------------------------------
@asynccontextmanager
async def own_postgres() -> AsyncIterator[pg.PgServer]:
    """A server this test may stop (the session's is shared)."""
    server = pg.start()
    if isinstance(server, str):
        if os.environ.get("CI"):
            pytest.fail(server)
        pytest.skip(server)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.postgres
async def test_push_and_slack_report_postgres_down_and_push_metrics_move(tmp_path):
    async with own_postgres() as server, DiscordStandIn() as discord_api, SlackStandIn() as slack:
        url = await _fresh_pg_database(server)
        engine = engine_for_tests(url)
        await upgrade(engine)
        await seed_due_half_an_hour_ago(engine, 1)
        await engine.dispose()
        push_ops, slack_port, slack_ops = free_port(), free_port(), free_port()
        push = await start("push", tmp_path, base_env(
            DATABASE_URL=url, DISCORD_TOKEN=discord_api.token, DISCORD_API_URL=discord_api.api_base,
            PUSH_POLL_SECONDS="1", METRICS_PORT=str(push_ops),
        ))  # fmt: skip
        slack_proc = await start("slack", tmp_path, base_env(
            DATABASE_URL=url, SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url, PORT=str(slack_port), METRICS_PORT=str(slack_ops),
        ))  # fmt: skip
        push_base, slack_bases = f"http://127.0.0.1:{push_ops}", (f"http://127.0.0.1:{slack_port}", f"http://127.0.0.1:{slack_ops}")
        try:
            async with aiohttp.ClientSession() as session:
                assert (await wait_up(session, push_base + "/healthz", push))[0] == 200
                for base in slack_bases:
                    assert (await wait_up(session, base + "/healthz", slack_proc))[0] == 200
                samples = await wait_metric(session, push_base, "ipb_pushes_delivered_total", 1, platform="discord")
                assert value(samples, "ipb_push_lag_seconds_count", platform="discord") == 1
                lag = value(samples, "ipb_push_lag_seconds_sum", platform="discord")
                assert 25 * 60 <= lag <= 40 * 60  # it was due 30 minutes ago
                assert value(samples, "ipb_pushes_failed_total", platform="discord") == 0

                server.stop()  # PostgreSQL goes away under both processes
                for base, proc in ((push_base, push), *((b, slack_proc) for b in slack_bases)):
                    status, body = await get(session, base + "/healthz")
                    assert status == 503, body
                    assert "connection refused" in json.loads(body)["reason"]
                await asyncio.sleep(2)  # the push worker looks at its schedule every second: it waits, not exits
                assert push.returncode is None and slack_proc.returncode is None
        finally:
            push_log, slack_log = await stop(push), await stop(slack_proc)
    assert push.returncode == 0, push_log[-3000:]
    assert slack_proc.returncode == 0, slack_log[-3000:]


# Discord: the gateway process serves health and metrics too -------------------------------------------
async def test_the_discord_process_serves_health_and_metrics_that_move(tmp_path):
    async with DiscordStandIn() as standin, aiohttp.ClientSession() as session:
        ops = free_port()
        process = await bot_process(standin, tmp_path, "discord", extra_env={"METRICS_PORT": str(ops)})
        base = f"http://127.0.0.1:{ops}"
        try:
            await standin.wait_connected(timeout=60)
            assert await wait_up(session, base + "/healthz", process) == (200, '{"ok": true}')
            question = (await interact(standin, slash("question", ALICE, category="databases"))).response
            revealed = (await interact(standin, click(question, discord_button(question, "reveal"), ALICE))).response
            graded = await interact(standin, click(revealed, discord_button(revealed, "grade", 3), ALICE))
            assert embed(graded)["title"] == "Recorded: Solid"
            samples = await scrape(session, base)
            assert value(samples, "ipb_interactions_total", platform="discord", command="question") == 1
            assert value(samples, "ipb_interactions_total", platform="discord", command="button grade") == 1
            assert value(samples, "ipb_interaction_seconds_count", platform="discord", command="question") == 1
            assert value(samples, "ipb_reviews_recorded_total", platform="discord") == 1
        finally:
            log = await stop(process)
    assert process.returncode == 0, log[-3000:]


# Bad configuration: one line, exit 2, no secret -------------------------------------------------------
async def _read_only_postgres(server: pg.PgServer) -> str:
    url = await _fresh_pg_database(server)
    engine = engine_for_tests(url)
    await upgrade(engine)
    await engine.dispose()
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres", database="postgres")
    try:
        await conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    finally:
        await conn.close()
    return url


PASSWORD = "hunter2-pw-8c1d"
BAD_CONFIG = {
    "unparseable URL": ({"DATABASE_URL": f"postgres//app:{PASSWORD}@db"}, "setting DATABASE_URL: cannot be read"),
    "unreachable PostgreSQL": (
        {"DATABASE_URL": f"postgresql+asyncpg://app:{PASSWORD}@127.0.0.1:{{closed}}/bot"},
        "cannot use DATABASE_URL: nothing answers at 127.0.0.1:",
    ),
    "missing driver": (
        {"DATABASE_URL": f"mysql+aiomysql://app:{PASSWORD}@127.0.0.1/bot"},
        "setting DATABASE_URL: the driver for mysql+aiomysql (aiomysql) is not installed",
    ),
    "unwritable SQLite path": (
        {"DATABASE_URL": "sqlite+aiosqlite:///{tmp}/a-file/bot.db"},
        "cannot use DATABASE_URL: cannot open the SQLite file",
    ),
    "read-only database": ({"DATABASE_URL": "{read_only}"}, "cannot use DATABASE_URL: the database is read-only"),
    "unknown log level": ({"LOG_LEVEL": "LOUD"}, "setting LOG_LEVEL: must be one of DEBUG, INFO"),
    "database never migrated (push)": ({}, "cannot use DATABASE_URL: the database has no tables yet: run `python -m bot db upgrade`"),
    "metrics port taken": (
        {"METRICS_PORT": "{taken}"}, "cannot serve /healthz and /metrics on METRICS_HOST:METRICS_PORT 127.0.0.1:"
    ),
}


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.postgres) if "read-only" in c else c for c in BAD_CONFIG]
)
async def test_bad_configuration_gets_one_line_naming_the_setting_and_exit_2(case, tmp_path, request):
    settings, expected = BAD_CONFIG[case]
    (tmp_path / "a-file").write_text("not a folder")
    env = dict(settings)
    if "{read_only}" in env.get("DATABASE_URL", ""):
        env["DATABASE_URL"] = await _read_only_postgres(request.getfixturevalue("pg_server"))
    taken = socket.create_server(("127.0.0.1", 0))  # another program already listens there
    request.addfinalizer(taken.close)
    env = {k: v.format(closed=free_port(), tmp=tmp_path, taken=taken.getsockname()[1]) for k, v in env.items()}
    env = base_env(**{"SLACK_BOT_TOKEN": "xoxb-1-2", "SLACK_SIGNING_SECRET": SECRET, "PORT": str(free_port()),
                      "LOG_LEVEL": "WARNING", **env})  # fmt: skip
    if case == "metrics port taken":  # past the database check: the release step has run
        upgrade = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "db", "upgrade", cwd=tmp_path, env=env)
        assert await asyncio.wait_for(upgrade.wait(), 90) == 0
    for command in ("push",) if "(push)" in case else ("slack", "push"):  # slack migrates its own default database
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", command, cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 90)
        lines = err.decode().strip().splitlines()
        assert proc.returncode == 2, (command, err.decode()[-2000:])
        assert len(lines) == 1 and lines[0].startswith(expected), (command, lines)
        assert PASSWORD not in lines[0]
