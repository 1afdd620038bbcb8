"""`python -m bot slack` as an operator runs it: a real process serving HTTP against the stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time

import aiohttp

from tests.conftest import default_database
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_requests import deliver, dm_message, event_callback

SECRET = "cli-signing-secret"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BANK_DIR", "SLACK_", "PORT"))}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_slack_without_tokens_says_what_is_missing(tmp_path):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "slack", cwd=tmp_path, env=clean_env(), stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "set SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in err.decode()


async def test_slack_serves_http_health_and_events_then_stops_on_sigterm(tmp_path):
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        slack.add_user("U0CLI", tz="Europe/Madrid")
        port = free_port()
        env = clean_env(
            SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url, PORT=str(port)
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "slack", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with session.get(base + "/healthz") as health:
                        assert health.status == 200 and await health.json() == {"ok": True}
                        break
                except aiohttp.ClientConnectionError:
                    assert time.monotonic() < deadline and proc.returncode is None, "the server never came up"
                    await asyncio.sleep(0.1)
            status, _ = await deliver(
                session, base + "/slack/events", SECRET, event_callback(dm_message("help", user="U0CLI"))
            )
            assert status == 200
            (posted,) = await slack.wait_for("chat.postMessage", timeout=20)
            assert posted.args["channel"] == "DU0CLI"
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert SECRET not in err.decode() and slack.bot_token not in err.decode()
        assert default_database(tmp_path).exists()
