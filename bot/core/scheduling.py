"""Spaced repetition: a thin, pure, day-granular wrapper over the `fsrs` library (FSRS-6).

Learning and relearning steps are off, so every interval is whole days. A review happens on the
learner's local calendar day; fsrs is handed that day as midnight UTC, so elapsed time between two
reviews is exactly the number of local days between them, whatever the zone or a DST change does to
the wall clock. Due dates come back as local dates.

Fuzz (a small random spread of review intervals, so cards learnt together do not stay together) is
drawn from a seed instead of the process's random state: the same card at the same version fuzzes
the same way every time, so the interval a grade button shows beforehand (`preview`) is exactly the
interval that grade then gives. The spread is fsrs's own (its FUZZ_RANGES, same bounds).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import IntEnum
from zoneinfo import ZoneInfo

import fsrs
from fsrs.scheduler import FUZZ_RANGES


class Rating(IntEnum):
    AGAIN = 1  # missed the key points
    HARD = 2  # partial answer
    GOOD = 3  # solid answer
    EASY = 4  # could teach it


@dataclass(frozen=True)
class Schedule:
    """The FSRS memory state of one card, as stored."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: date
    last_review: date | None

    @classmethod
    def new(cls, today: date) -> Schedule:
        return cls(state=int(fsrs.State.Learning), step=0, stability=None, difficulty=None, due=today, last_review=None)


@dataclass(frozen=True)
class Outcome:
    schedule: Schedule
    scheduled_days: int


def local_day(now_utc: datetime, zone: ZoneInfo, rollover_hour: int = 4) -> date:
    """The learner's study day: their local calendar date, rolling over at `rollover_hour` local.

    Wall-clock arithmetic on the local time is intended: 03:30 local belongs to the previous day on
    any date, including the nights clocks change.
    """
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    return (now_utc.astimezone(zone) - timedelta(hours=rollover_hour)).date()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def fuzz_range(interval_days: int, maximum_interval: int) -> tuple[int, int]:
    """The smallest and largest fuzzed interval for an unfuzzed one, as fsrs 6.3 computes them
    (Scheduler._get_fuzzed_interval); intervals under 2.5 days are never fuzzed."""
    if interval_days < 2.5:
        return interval_days, interval_days
    delta = 1.0 + sum(
        r["factor"] * max(min(float(interval_days), r["end"]) - r["start"], 0.0) for r in FUZZ_RANGES
    )
    high = min(round(interval_days + delta), maximum_interval)
    low = min(max(2, round(interval_days - delta)), high)
    return low, high


class Scheduler:
    def __init__(
        self,
        desired_retention: float = 0.9,
        fuzz: bool = True,
        maximum_interval: int = 36500,
        parameters: Sequence[float] | None = None,  # a learner's fitted FSRS-6 weights; None: the defaults
    ):
        self.desired_retention = desired_retention
        self.fuzz = fuzz
        self.maximum_interval = maximum_interval
        self.parameters = tuple(parameters) if parameters is not None else tuple(fsrs.scheduler.DEFAULT_PARAMETERS)
        self._fsrs = fsrs.Scheduler(
            parameters=self.parameters,
            desired_retention=desired_retention,
            learning_steps=(),
            relearning_steps=(),
            maximum_interval=maximum_interval,
            enable_fuzzing=False,  # applied below from a seed, so previews match grades
        )

    def review(self, schedule: Schedule, rating: Rating, on: date, *, seed: str = "") -> Outcome:
        """The schedule after grading `rating` on day `on`. `seed` names the card and its version:
        the same seed always fuzzes the same way."""
        card, _log = self._fsrs.review_card(self._to_card(schedule), fsrs.Rating(int(rating)), _day_start(on))
        days = (card.due.date() - on).days
        if self.fuzz and card.state == fsrs.State.Review:
            low, high = fuzz_range(days, self.maximum_interval)
            days = min(round(random.Random(seed).random() * (high - low + 1) + low), self.maximum_interval)
        due = on + timedelta(days=days)
        after = Schedule(
            state=int(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=due,
            last_review=on,
        )
        return Outcome(after, days)

    def preview(self, schedule: Schedule, on: date, *, seed: str = "") -> dict[Rating, int]:
        """The interval in days each grade would give on `on`: what the grade buttons show."""
        return {rating: self.review(schedule, rating, on, seed=seed).scheduled_days for rating in Rating}

    def retrievability(self, schedule: Schedule, on: date) -> float:
        """Predicted chance of recalling the answer on `on` (0 for a card never reviewed)."""
        if schedule.last_review is None:
            return 0.0
        return self._fsrs.get_card_retrievability(self._to_card(schedule), _day_start(on))

    @staticmethod
    def _to_card(schedule: Schedule) -> fsrs.Card:
        # card_id is passed so fsrs does not sleep a millisecond to mint a unique one.
        return fsrs.Card(
            card_id=1,
            state=fsrs.State(schedule.state),
            step=schedule.step,
            stability=schedule.stability,
            difficulty=schedule.difficulty,
            due=_day_start(schedule.due),
            last_review=_day_start(schedule.last_review) if schedule.last_review else None,
        )
