"""Slash commands under load: one `python -m bot discord` process on PostgreSQL, driven through the
loopback Discord at fixed rates.

For each rate, `/question` interactions are dispatched over the gateway at evenly spaced instants for
a fixed time, each from one of 2,000 learners (about a third of them new on the first step, as on a
busy server). The stand-in (in this process) times, from the dispatch, the first response (the
interaction callback, which must arrive within Discord's 3 s or the user sees "interaction failed")
and the full reply (the edit of the deferred message). Failed = a callback refused as too late (10062)
or none at all. CPU is the bot process's user+system time over the step's wall time (100% = one core).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path

from bench.pushes import database, pct
from tests import pg
from tests.e2e.test_discord import LAUNCH
from tests.fakes.discord_api import CALLBACK, EDIT_ORIGINAL, FOLLOWUP, DiscordStandIn, Recorded
from tests.fakes.discord_payloads import slash

ROOT = Path(__file__).resolve().parents[1]
LEARNERS = 2_000
CATEGORIES = ("system_design", "databases", "behavioral", "backend")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


class Timings:
    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self.full: dict[str, float] = {}
        self.failed: set[str] = set()

    def on_record(self, record: Recorded) -> None:
        token = record.params.get("token")
        if token not in self.sent:
            return
        now = time.perf_counter()
        if record.route == CALLBACK:
            if record.status != 200:
                self.failed.add(token)
            self.first.setdefault(token, now - self.sent[token])
        elif record.route in (EDIT_ORIGINAL, FOLLOWUP):
            self.full.setdefault(token, now - self.sent[token])


async def step(standin: DiscordStandIn, pid: int, rate: float, seconds: float, rng: random.Random) -> dict[str, float]:
    timings = Timings()
    standin.on_record = timings.on_record
    count = int(rate * seconds)
    cpu0, start = cpu_seconds(pid), time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        payload = slash("question", 600_000_000_000_000_000 + rng.randrange(LEARNERS), category=rng.choice(CATEGORIES))
        timings.sent[payload["token"]] = time.perf_counter()
        await standin.interact(payload)
    sending = time.perf_counter() - start
    deadline = time.perf_counter() + 10
    while len(timings.full) + len(timings.failed) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    cpu = (cpu_seconds(pid) - cpu0) / (time.perf_counter() - start)
    first = [timings.first[t] * 1000 for t in timings.sent if t in timings.first and t not in timings.failed]
    full = [v * 1000 for v in timings.full.values()]
    unanswered = [t for t in timings.sent if t not in timings.first]
    return {
        "rate": rate, "achieved": count / sending, "sent": count,
        "first_p50": pct(first, 0.5), "first_p99": pct(first, 0.99),
        "full_p50": pct(full, 0.5), "full_p99": pct(full, 0.99),
        "failed": len(timings.failed) + len(unanswered), "cpu": cpu,
    }  # fmt: skip


async def run(rates: list[float], seconds: float) -> None:
    server = pg.start()
    if isinstance(server, str):
        raise SystemExit(f"PostgreSQL is needed: {server}")
    try:
        async with database("postgres", "bench_discord_load", server) as (_, url), DiscordStandIn() as standin:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DISCORD_", "SLACK_"))},
                "DATABASE_URL": url, "DISCORD_TOKEN": standin.token, "DISCORD_SHARD_COUNT": "1",
                "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
            }  # fmt: skip
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-c", LAUNCH, standin.api_base, standin.gateway_url, "discord", cwd=ROOT, env=env
            )
            try:
                await standin.wait_connected(timeout=60)
                rng = random.Random(7)
                await step(standin, process.pid, 20, 2, rng)  # warm up: imports, connection pool, bank
                rows = [await step(standin, process.pid, rate, seconds, rng) for rate in rates]
            finally:
                process.terminate()
                await process.wait()
    finally:
        server.stop()
    print(f"\n/question through the loopback Discord into one bot process on PostgreSQL, {seconds:g} s per rate")
    print("| commands/s | sent | first response p50 / p99 ms | full reply p50 / p99 ms | failed | bot CPU |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['rate']:g} (sent at {r['achieved']:.0f}) | {r['sent']} | {r['first_p50']:.0f} / {r['first_p99']:.0f} "
            f"| {r['full_p50']:.0f} / {r['full_p99']:.0f} | {r['failed']} | {r['cpu']:.0%} |"
        )
