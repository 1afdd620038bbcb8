"""A learner's study day, counted one way everywhere: stats, the review queue, the chart and pushes.

- **due**: a card graded at least once whose due date has come (today or earlier). Skipping one
  today does not make it less due: it waits at the back of the queue.
- **seen, not graded**: a card shown and never graded. It is still a new question: it has no
  schedule, is not due, and is offered again (before unseen ones) within the daily cap.
- **new today**: new questions graded for the first time today. Only that uses a daily slot; showing,
  skipping or abandoning a question does not, and undoing its first grade gives the slot back.
- **skipped today**: set aside for the day (Anki's "bury"); served again today only when nothing else
  is left.

The statements behind these live together in storage.repositories (due_cards, ungraded_cards,
first_grades_on, upcoming_dues); this module only reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from storage.repositories import CardRecord, Repository


def skipped(card: CardRecord, today: date) -> bool:
    return card.buried_on == today


@dataclass(frozen=True)
class Agenda:
    today: date
    due: tuple[CardRecord, ...]  # most overdue first, skipped today last
    ungraded: tuple[CardRecord, ...]  # seen, not graded
    upcoming: tuple[date, ...]  # due dates of graded cards after today, soonest first
    new_today: int
    new_cap: int

    @property
    def next_due(self) -> date | None:
        return self.upcoming[0] if self.upcoming else None

    def due_within(self, days: int) -> int:
        """Graded cards falling due after today and at most `days` days ahead."""
        return sum((day - self.today).days <= days for day in self.upcoming)


async def load(
    repo: Repository, learner_id: int, today: date, new_cap: int, keep: Callable[[str], bool]
) -> Agenda:
    """The learner's day over the questions `keep` accepts (by id: e.g. those in the current bank)."""
    due = tuple(c for c in await repo.due_cards(learner_id, today) if keep(c.question_id))
    ungraded = tuple(c for c in await repo.ungraded_cards(learner_id, today) if keep(c.question_id))
    upcoming = tuple(day for question_id, day in await repo.upcoming_dues(learner_id, today) if keep(question_id))
    return Agenda(today, due, ungraded, upcoming, await repo.first_grades_on(learner_id, today), new_cap)
