"""Regenerate docs/sample-chart.png: the progress chart of a made-up learner with 12 weeks of practice.

The history is fixed (a seeded random generator, FSRS fuzz off, a fixed clock) and goes through the
real application: a throwaway SQLite database, the shipped question bank, next question, reveal and
grade as a learner would, then `app.progress.chart`. Run from the repository root:

    .venv/bin/python docs/make_sample_chart.py
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.bootstrap import build
from bot.core.actions import ActionKey
from bot.core.practice import LearnerRef
from bot.settings import Settings
from storage.migrate import upgrade

OUT = Path(__file__).resolve().parent / "sample-chart.png"
TODAY = datetime(2026, 4, 8, 18, 0, tzinfo=timezone.utc)
DAYS = 84
LEARNER = LearnerRef("console", "sample", display_name="Sample learner")
RATINGS = (1, 2, 3, 4)
RATING_WEIGHTS = (0.12, 0.18, 0.55, 0.15)


class Clock:
    def __init__(self, now: datetime):
        self.now_value = now

    def now(self) -> datetime:
        return self.now_value


def key(reply, verb: str, rating: int | None = None) -> str:
    return next(a.key for a in reply.actions if (k := ActionKey.parse(a.key)).verb == verb and k.rating == rating)


async def practise_day(app, rng: random.Random, new_questions: int) -> None:
    """Every due review, then a few new questions, each graded at a weighted random rating."""
    asked = 0
    while True:
        question = await app.practice.next_question(LEARNER, reviews_only=asked >= new_questions)
        if question.kind != "question":
            return
        asked += "New question" in question.footer
        revealed = await app.buttons.press(LEARNER, key(question, "reveal"))
        rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
        await app.buttons.press(LEARNER, key(revealed, "grade", rating))


async def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/sample.db", FSRS_FUZZ=False)
        clock = Clock(TODAY - timedelta(days=DAYS - 1))
        app = build(settings, clock=clock)
        await upgrade(app.engine)
        for day in range(DAYS):
            clock.now_value = TODAY - timedelta(days=DAYS - 1 - day)
            if rng.random() < 0.18:  # a day off now and then
                continue
            await practise_day(app, rng, new_questions=rng.choice((1, 2, 3)))
        reply = await app.progress.chart(LEARNER)
        await app.engine.dispose()
    OUT.write_bytes(reply.files[0].data)
    print(f"{reply.body}\nwrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
