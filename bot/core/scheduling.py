"""Spaced repetition: a thin, pure, day-granular wrapper over the `fsrs` library (FSRS-6).

Learning and relearning steps are off, so every interval is whole days. A review happens on the
learner's local calendar day; fsrs is handed that day as midnight UTC, so elapsed time between two
reviews is exactly the number of local days between them, whatever the zone or a DST change does to
the wall clock. Due dates come back as local dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import IntEnum
from zoneinfo import ZoneInfo

import fsrs


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
        self.parameters = tuple(parameters) if parameters is not None else tuple(fsrs.scheduler.DEFAULT_PARAMETERS)
        self._fsrs = fsrs.Scheduler(
            parameters=self.parameters,
            desired_retention=desired_retention,
            learning_steps=(),
            relearning_steps=(),
            maximum_interval=maximum_interval,
            enable_fuzzing=fuzz,
        )

    def review(self, schedule: Schedule, rating: Rating, on: date) -> Outcome:
        card, _log = self._fsrs.review_card(self._to_card(schedule), fsrs.Rating(int(rating)), _day_start(on))
        due = card.due.date()
        after = Schedule(
            state=int(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=due,
            last_review=on,
        )
        return Outcome(after, (due - on).days)

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
