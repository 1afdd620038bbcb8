"""Print the sample mock interview shown in the README: a scripted 45-minute system-design round in
the terminal, through the real application (shipped bank, offline feedback engine, a throwaway
SQLite database) with a clock that moves as the script says. Run from the repository root:

    .venv/bin/python docs/make_sample_mock.py
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console

from bot.adapters.console import ConsoleApp
from bot.bootstrap import build
from bot.core.practice import LearnerRef
from bot.settings import Settings
from storage.migrate import upgrade

START = datetime(2026, 12, 7, 18, 0, tzinfo=timezone.utc)
# (what the learner types, minutes that pass before they type it)
SCRIPT: list[tuple[str, float]] = [
    ("i", 0), ("1", 0), ("45", 0), ("senior", 0),
    # Clarify requirements (5 min): written in 4, done a minute late
    ("w", 0), ("Limits per API key: 10 requests a second and 100,000 a day for free keys, custom ones for "
               "enterprise. 300,000 requests a second over 200 gateways in four regions; the check must add "
               "under 2 ms. Wrongly throttling a customer is worse than a small overshoot.", 4), ("", 0), ("d", 2),
    ("d", 3),  # estimates: nothing written
    ("w", 0), ("Gateways ask the limiter check(key, cost) and get allowed plus remaining. A refused call "
               "gets HTTP 429 with Retry-After and remaining-quota headers.", 8), ("", 0), ("d", 1),
    ("w", 0), ("Each region runs its own limiter next to its gateways, so per-second limits are enforced "
               "within the region; the counters live in Redis, sharded by API key.", 10), ("", 0), ("d", 0),
    ("w", 0), ("A token bucket per key for the per-second limit. A Lua script checks and decrements in one "
               "atomic step, so two gateways never both spend the last token.", 8), ("", 0), ("d", 0),
    ("w", 0), ("If Redis is down the gateways fail open, with a coarse cap per node, because wrongful "
               "throttling costs more than a short overshoot.", 4), ("", 0), ("d", 0),
    # the follow-up probe on what was missed, then the wrap-up
    ("w", 0), ("Give each region a share of the daily quota and move unused share every few minutes from "
               "the usage each region reports; a small overshoot is acceptable.", 2), ("", 0), ("d", 1),
    ("w", 0), ("Regional token buckets in Redis, fail open, 429s with headers, daily shares rebalanced.", 2),
    ("", 0), ("d", 0),
    ("", 0),  # accept the suggested grade
    ("q", 0),
]  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


class Script:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.lines = list(SCRIPT)

    def __call__(self, prompt: str) -> str:
        text, minutes = self.lines.pop(0)
        self.clock.at += timedelta(minutes=minutes)
        print(f"{prompt}{text}", file=self.echo)
        return text

    echo: io.StringIO


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = Clock()
        settings = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{Path(folder) / 'sample.db'}")
        app = build(settings, clock=clock)
        out = io.StringIO()
        script = Script(clock)
        script.echo = out
        console = ConsoleApp(
            app, LearnerRef("console", "sample"), console=Console(file=out, width=100), read=script,
            files_dir=Path(folder), pending_input=lambda: False,
        )  # fmt: skip
        console.run(lambda: upgrade(app.engine))
        asyncio.run(app.engine.dispose())
    print(out.getvalue())


if __name__ == "__main__":
    main()
