"""Daily pushes: delivery through the loopback Discord at its rate limit, and the planning query.

Delivery: N learners (default 10,000) due at once, their DM channels already known (as on every day
after the first), delivered by `python -m bot push --once` worker processes (the real core and
Discord messenger with its pacing, on a SQLite file or PostgreSQL) through DiscordStandIn, running
in this process, enforcing 50 requests/s over a sliding second with 429s. Reported, from the first
message to the last as the stand-in sees them: accepted requests/s as a fraction of 50, duplicates
(learners with more than one message), lost (learners with none), and 429s received.

Planning: 100,000 subscriptions spread evenly over the day. For each sampled minute, the pushes of
the minutes before it are replanned a day later (what the workers do once they are sent), so the
index looks as it does in steady state; then "who is due now" (Repository.due_push_targets, in its
own transaction, as claim_due runs it) is timed for that minute.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.migrate import upgrade
from storage.repositories import Store
from tests import pg
from tests.factories import seed_dm_targets
from tests.fakes.discord_api import DiscordStandIn

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
DISCORD_LIMIT = 50
PLAN_BATCH = 500  # far more than are due in one minute: the query returns all of them


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so 'due earlier today' holds at any hour."""
    offset = 12 - now.hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX signs


@asynccontextmanager
async def database(kind: str, name: str, server: pg.PgServer | None) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """A fresh, migrated database: a SQLite file under bench/.data, or a new PostgreSQL database."""
    if kind == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"{name}.db"
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        assert server is not None
        import asyncpg

        conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres", database="postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
        url = server.url(name)
    engine = create_engine(url)
    await upgrade(engine)
    try:
        yield engine, url
    finally:
        await engine.dispose()


async def deliver(engine: AsyncEngine, url: str, learners: int, rate: float, workers: int) -> dict[str, float]:
    now = datetime.now(timezone.utc)
    zone = noon_zone(now)
    local_time = (now.astimezone(ZoneInfo(zone)) - timedelta(minutes=30)).strftime("%H:%M")
    users = await seed_dm_targets(
        engine, learners, due=now - timedelta(minutes=30), zone=zone, local_time=local_time, dm_channels=True
    )
    channels = [f"D{u}" for u in users]
    async with DiscordStandIn(limit_per_s=DISCORD_LIMIT) as standin:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SLACK_", "DISCORD_", "PUSH_"))},
            "DATABASE_URL": url, "DISCORD_TOKEN": standin.token, "DISCORD_API_URL": standin.api_base,
            "DISCORD_PUSH_RATE": str(rate), "PUSH_WORKERS": str(workers), "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "push", "--once", "--worker-id", f"bench-{i}", cwd=ROOT, env=env
            )
            for i in range(workers)
        ]
        # Time the fan-out as Discord sees it: from the first message to the last.
        first = last = None
        while any(p.returncode is None for p in procs):
            sent = len(standin.messages_per_channel)  # channels with a message
            if sent and first is None:
                first, first_requests = time.perf_counter(), standin.requests
            if sent == learners and last is None:
                last, last_requests = time.perf_counter(), standin.requests
            await asyncio.sleep(0.01)
        await asyncio.gather(*(p.wait() for p in procs))
    assert first is not None and last is not None, "the workers did not deliver everything"
    per_learner = [standin.messages_per_channel[c] for c in channels]
    requests = standin.requests - workers  # less each worker's login
    return {
        "achieved": (last_requests - first_requests - standin.rate_limited) / (last - first),
        "duplicates": sum(n - 1 for n in per_learner if n > 1),
        "lost": sum(1 for n in per_learner if n == 0),
        "requests": requests,
        "429s": standin.rate_limited,
        "seconds": last - first,
    }


async def plan(engine: AsyncEngine, subscriptions: int, samples: int) -> dict[str, float]:
    start = datetime(2026, 6, 1, 0, 0, tzinfo=timezone.utc)
    await seed_dm_targets(engine, subscriptions, due=start, zone="UTC", local_time="00:00", spread=timedelta(days=1))
    store = Store(engine)
    timings, found = [], []
    for minute in range(samples):
        now = start + timedelta(minutes=minute, seconds=59)
        async with store.transaction() as repo:  # the minutes before were pushed: their next push is tomorrow
            for target in await repo.due_push_targets(now - timedelta(minutes=1), ["discord"], 10_000):
                assert target.next_push_at is not None
                await repo.plan_push(target.id, target.next_push_at + timedelta(days=1))
        began = time.perf_counter()
        async with store.transaction() as repo:
            due = await repo.due_push_targets(now, ["discord"], PLAN_BATCH)
        timings.append((time.perf_counter() - began) * 1000)
        found.append(len(due))
    return {"median": statistics.median(timings), "p99": pct(timings, 0.99), "due": statistics.median(found)}


async def run(learners: int, subscriptions: int, samples: int, rate: float, workers: int, postgres: bool) -> None:
    server = None
    kinds = ["sqlite"]
    if postgres:
        started = pg.start()
        if isinstance(started, str):
            print(f"PostgreSQL skipped: {started}")
        else:
            server, kinds = started, ["sqlite", "postgres"]
    try:
        delivered, planned = {}, {}
        for kind in kinds:
            async with database(kind, "bench_push_delivery", server) as (engine, url):
                delivered[kind] = await deliver(engine, url, learners, rate, workers)
            async with database(kind, "bench_push_planning", server) as (engine, _):
                planned[kind] = await plan(engine, subscriptions, samples)
    finally:
        if server is not None:
            server.stop()

    print(f"\nDelivery: {learners:,} learners due at once, DM channels known, {workers} worker(s) pacing at "
          f"{rate:g} requests/s in total, DiscordStandIn limit {DISCORD_LIMIT}/s (sliding 1 s window)\n")  # fmt: skip
    print("| database | seconds | requests | achieved req/s | fraction of limit | duplicates | lost | 429s | 429s / requests |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, d in delivered.items():
        print(f"| {kind} | {d['seconds']:.1f} | {d['requests']:,} | {d['achieved']:.2f} | "
              f"{d['achieved'] / DISCORD_LIMIT:.3f} | {d['duplicates']} | {d['lost']} | {d['429s']} | "
              f"{d['429s'] / max(d['requests'], 1):.2%} |")  # fmt: skip
    print(f"\nPlanning: who is due this minute among {subscriptions:,} subscriptions spread over the day, "
          f"{samples:,} consecutive minutes\n")  # fmt: skip
    print("| database | due per minute (median) | median ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for kind, p in planned.items():
        print(f"| {kind} | {p['due']:.0f} | {p['median']:.2f} | {p['p99']:.2f} |")
