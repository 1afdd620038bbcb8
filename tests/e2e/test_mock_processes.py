"""A mock interview's time-up nudge through real `python -m bot push` processes on PostgreSQL: the
worker that sends it is killed with SIGKILL while Discord has posted the message but not answered;
a restarted worker takes the claim over when its lease ends and resends with the same nonce, so the
learner sees exactly one nudge. The mock then finishes with its report."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.bootstrap import build
from bot.core.mock import Where
from bot.core.practice import LearnerRef
from bot.settings import Settings
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.models import Mock
from tests.conftest import FixedClock, _fresh_pg_database
from tests.e2e.test_discord_mock import booking_design
from tests.e2e.test_push_processes import start_worker, wait_until
from tests.fakes.discord_api import DiscordStandIn

pytestmark = pytest.mark.postgres
LEASE_S = 10
ANNA = LearnerRef("discord", "4242", "", display_name="Anna")


async def test_a_killed_worker_mid_nudge_is_taken_over_and_the_learner_gets_one_nudge(pg_server):
    url = await _fresh_pg_database(pg_server)
    engine = engine_for_tests(url)
    await upgrade(engine)
    # A 30-minute mock started 4 minutes ago: its first step (200 s) ran out a minute ago.
    clock = FixedClock(datetime.now(timezone.utc) - timedelta(minutes=4))
    app = build(Settings(_env_file=None, FSRS_FUZZ=False), bank=Bank((booking_design(),)), engine=engine, clock=clock)
    started = await app.mocks.start(ANNA, "system_design", minutes=30, level="senior", where=Where("discord", "4242"))

    async with DiscordStandIn() as discord_api:
        discord_api.hold_created = 1
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SLACK_", "DISCORD_", "PUSH_"))},
            "DATABASE_URL": url, "DISCORD_TOKEN": discord_api.token, "DISCORD_API_URL": discord_api.api_base,
            "PUSH_LEASE_SECONDS": str(LEASE_S), "PUSH_POLL_SECONDS": "1", "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        first = await start_worker("first", env)
        await asyncio.wait_for(discord_api.held.wait(), 60)  # posted; the worker waits for the answer
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
        second = await start_worker("second", env)

        async def nudged() -> int:
            async with engine.connect() as conn:
                return (await conn.execute(select(Mock.nudged_step))).scalar_one()

        deadline = asyncio.get_running_loop().time() + 60
        while await nudged() < 0:
            assert asyncio.get_running_loop().time() < deadline, "the nudge was never taken over"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # a late duplicate would show up here
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 0, stderr.decode()[-2000:]

        channel = discord_api.dm_channel("4242")
        messages = discord_api.channel_messages(channel)
        assert [m["embeds"][0]["title"] for m in messages] == ["Time is up: Clarify requirements"]
        assert discord_api.messages_per_channel[channel] == 1

    clock.set(datetime.now(timezone.utc))
    stop = next(a.key for a in started.actions if a.key.startswith("mstop:"))
    report = await app.mocks.stop(ANNA, stop)
    assert report.title == "Mock interview report · System design, senior"
    assert re.match(r"Clarify requirements: \d+ min of 3 min, \*\*over by \d+ min\*\* \(no notes\)", report.fields[1].value)
    await engine.dispose()
