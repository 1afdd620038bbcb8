"""Real `python -m bot push` processes against one PostgreSQL and the loopback Discord: 2,000 learners
due at once, three workers, one of them killed with SIGKILL in the middle of the fan-out and
restarted. Every learner gets exactly one message and no claim is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.models import Delivery
from tests.conftest import _fresh_pg_database
from tests.factories import seed_dm_targets
from tests.fakes.discord_api import CREATE_MESSAGE, DiscordStandIn

ROOT = Path(__file__).resolve().parents[2]
TARGETS = 2000
WORKERS = 3
LEASE_S = 10

pytestmark = pytest.mark.postgres


def noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so "due earlier today" is true at any hour."""
    offset = 12 - now.hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs


async def seed_due_half_an_hour_ago(engine, count: int) -> list[str]:
    """`count` learners whose daily push was due 30 minutes ago, at about noon in their zone."""
    now = datetime.now(timezone.utc)
    zone = noon_zone(now)
    local = (now.astimezone(ZoneInfo(zone)) - timedelta(minutes=30)).strftime("%H:%M")
    return await seed_dm_targets(engine, count, due=now - timedelta(minutes=30), zone=zone, local_time=local)


async def start_worker(name: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "push", "--worker-id", name, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_three_worker_processes_and_a_kill_9_deliver_each_target_exactly_once(pg_server, tmp_path):
    url = await _fresh_pg_database(pg_server)
    engine = engine_for_tests(url)
    await upgrade(engine)
    users = await seed_due_half_an_hour_ago(engine, TARGETS)

    async with DiscordStandIn(limit_per_s=1000) as discord_api:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SLACK_", "DISCORD_", "PUSH_"))},
            "DATABASE_URL": url, "DISCORD_TOKEN": discord_api.token, "DISCORD_API_URL": discord_api.api_base,
            "PUSH_WORKERS": str(WORKERS), "DISCORD_PUSH_RATE": "600", "PUSH_LEASE_SECONDS": str(LEASE_S),
            "PUSH_POLL_SECONDS": "1", "PUSH_BATCH": "40", "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        workers = [await start_worker(f"w{i}", env) for i in range(WORKERS)]
        await wait_until(lambda: sum(discord_api.messages_per_channel.values()) >= TARGETS // 4, 60, "a quarter sent")
        workers[0].send_signal(signal.SIGKILL)  # mid fan-out: its claims and in-flight sends are abandoned
        assert await workers[0].wait() == -signal.SIGKILL
        workers[0] = await start_worker("w0", env)  # the supervisor restarts it
        await wait_until(lambda: sum(discord_api.messages_per_channel.values()) >= TARGETS, 60, "every message")
        await asyncio.sleep(1.5)  # a late duplicate would show up here
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            _, stderr = await asyncio.wait_for(worker.communicate(), 30)
            assert worker.returncode == 0, stderr.decode()[-2000:]  # graceful on SIGTERM

        per_user = Counter()
        for user in users:
            channel = discord_api.dm_channel(user)
            per_user[discord_api.messages_per_channel[channel] if channel else 0] += 1
        assert per_user == Counter({1: TARGETS})  # none lost, none twice
        posts = len([r for r in discord_api.routed(CREATE_MESSAGE) if r.status == 200])
        # Only sends that were in flight when the worker died are resent, and the nonce returns the first message.
        assert TARGETS <= posts <= TARGETS + 40
        assert discord_api.rate_limited == 0

    async with engine.connect() as conn:
        rows = (await conn.execute(select(Delivery.target_id, Delivery.status))).all()
    await engine.dispose()
    assert len(rows) == TARGETS and len({t for t, _ in rows}) == TARGETS
    assert Counter(s for _, s in rows) == Counter(sent=TARGETS)
