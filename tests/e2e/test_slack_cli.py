"""`python -m bot slack` as an operator runs it: a real process serving HTTP against the stand-in."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from tests.conftest import default_database
from tests.fakes.slack_api import SlackStandIn
from tests.fakes.slack_requests import deliver, dm_message, event_callback
from tests.slack_process import clean_env, slack_process

SECRET = "cli-signing-secret"


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
        env = dict(SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url)
        async with slack_process(tmp_path, session, **env) as bot:
            status, _ = await deliver(
                session, bot.base + "/slack/events", SECRET, event_callback(dm_message("help", user="U0CLI"))
            )
            assert status == 200
            (posted,) = await slack.wait_for("chat.postMessage", timeout=20)
            assert posted.args["channel"] == "DU0CLI"
        err = bot.log()
        assert bot.proc.returncode == 0, err
        assert SECRET not in err and slack.bot_token not in err
        assert default_database(tmp_path).exists()
