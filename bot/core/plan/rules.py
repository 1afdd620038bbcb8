"""The planner's rules: what a learner is served next, their daily limits, their scheduler, and
how ready they are. Practice asks `Planner.choose` what to serve; everything here is pure or reads
through the caller's Repository, in the caller's transaction.

- Daily limits: new questions per day and reviews per day, the learner's own or Settings' defaults.
- Reviews in order of highest predicted recall first (the learner's own FSRS parameters once fitted):
  under a backlog, the reviews go to the cards that are still remembered and keep them so, rather
  than to the ones already lost (measured in bench/plan.py: at 3 a day, questions known at >= 90%
  went from 5.5 to 11.2 against lowest-first). Without a backlog every due card is reviewed the same
  day, and the order does not matter.
- Breadth never starves: while reviews are due, a new question still comes first whenever fewer
  than `min_new_per_week` were introduced in the last 7 days, or none in the last 3, so a backlog (after a break, or at one
  question a day) is worked down without stopping new questions for days. Beyond that
  floor, new questions come when no review is due: at high effort the reviews keep what was seen.
- A goal (a date, categories, a level) spreads the target set's unseen questions evenly over the
  days left, keeping the last days for consolidation; until the day's share of them is served, new
  target questions come before reviews.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from bot.core.agenda import skipped
from bot.core.catalog import View
from bot.core.scheduling import Rating, Schedule, Scheduler
from question_bank.schema import CATEGORIES, LEVELS, Question
from storage.plan import PlanRecord
from storage.repositories import CardRecord, Repository

MIX_WINDOW_DAYS = 7  # the breadth floor counts new questions over this many study days, today included
GAP_DAYS = 3  # ... and spreads them: none in this many days, today included, and a new one comes first
CONSOLIDATION_SHARE = 0.05  # of a goal's span, kept for reviews (measured in bench/plan.py: more lowered recall on the date)
PACE_WINDOW_DAYS = 14  # "your pace": views per day over this many days


@dataclass(frozen=True)
class PlanConfig:
    new_per_day: int = 5
    max_reviews_per_day: int = 100
    min_new_per_week: int = 3
    desired_retention: float = 0.9
    fuzz: bool = True


@dataclass(frozen=True)
class Goal:
    day: date
    categories: tuple[str, ...] = ()  # empty: every category
    level: str | None = None  # up to and including this level; None: every level
    set_on: date | None = None  # the study day it was set: the consolidation days are a share of the whole span

    def includes(self, q: Question) -> bool:
        return (not self.categories or q.category in self.categories) and (
            self.level is None or LEVELS.index(q.level) <= LEVELS.index(self.level)
        )

    @staticmethod
    def of(plan: PlanRecord | None) -> Goal | None:
        if plan is None or plan.goal_date is None:
            return None
        return Goal(plan.goal_date, tuple(plan.goal_categories), plan.goal_level, plan.goal_set_on)


def consolidation_days(span: int) -> int:
    """Days at the end of a goal `span` days long kept for reviews: none for a goal a few days away."""
    return 0 if span <= 3 else max(1, round(span * CONSOLIDATION_SHARE))


def goal_days(goal: Goal, today: date) -> tuple[int, int, int]:
    """(days left including today and the goal day, how many of them are for new questions, and the
    consolidation days at the end)."""
    days_left = max(0, (goal.day - today).days + 1)
    keep = consolidation_days((goal.day - (goal.set_on or today)).days + 1)
    return days_left, max(0, days_left - keep), keep


def needed_per_day(unseen: int, goal: Goal, today: date) -> int:
    """New target questions a day that show every unseen one before consolidation begins (all of
    them at once if it has begun)."""
    _, intro_days, _ = goal_days(goal, today)
    return math.ceil(unseen / intro_days) if intro_days else unseen


def share_today(unseen: int, goal: Goal, today: date) -> int:
    """Today's share of the unseen target: the same number each day (rounded), so new questions
    reach the last days before the goal rather than all coming first (`needed_per_day` rounds up,
    and 75 over 29 days would be 3 a day for 17 days, then 2). Measured in bench/plan.py: recall of
    the target on the date 0.188 -> 0.203 (4 learners), 0.146 -> 0.159 (16)."""
    _, intro_days, _ = goal_days(goal, today)
    return math.floor(unseen / intro_days + 0.5) if intro_days > 1 else unseen


def goal_gain(scheduler: Scheduler, card: CardRecord, today: date, goal_day: date) -> float:
    """How much a review today raises the card's predicted recall on the goal date."""
    now = card_schedule(card)
    after = scheduler.review(now, Rating.GOOD, today).schedule
    return scheduler.retrievability(after, goal_day) - scheduler.retrievability(now, goal_day)


@dataclass(frozen=True)
class Limits:
    new_per_day: int
    max_reviews_per_day: int
    own_new: bool  # the learner set new_per_day themselves (a goal never raises it then)


@dataclass(frozen=True)
class Choice:
    """What to serve: a due card, or a new question among `fresh`; or nothing, and why."""

    card: CardRecord | None = None
    fresh: tuple[Question, ...] = ()
    have: frozenset[str] = frozenset()  # the learner's questions, when `fresh` is set
    new_today: int = 0
    new_limit: int = 0
    new_cap_reached: bool = False
    review_cap_reached: bool = False


@dataclass
class Planner:
    config: PlanConfig = field(default_factory=PlanConfig)

    def limits(self, plan: PlanRecord | None) -> Limits:
        own_new = plan is not None and plan.new_per_day is not None
        new = plan.new_per_day if plan is not None and plan.new_per_day is not None else self.config.new_per_day
        reviews = self.config.max_reviews_per_day
        if plan is not None and plan.max_reviews_per_day is not None:
            reviews = plan.max_reviews_per_day
        return Limits(new, reviews, own_new)

    def scheduler(self, plan: PlanRecord | None) -> Scheduler:
        """The learner's scheduler: their fitted parameters, else FSRS's defaults."""
        params = tuple(plan.fsrs_parameters) if plan is not None and plan.fsrs_parameters else None
        return _scheduler(params, self.config.desired_retention, self.config.fuzz)

    async def learner_scheduler(self, repo: Repository, learner_id: int) -> Scheduler:
        return self.scheduler(await repo.study_plan(learner_id))

    async def choose(
        self, repo: Repository, view: View, learner_id: int, today: date, fits: Callable[[Question | None], bool],
        fits_new: Callable[[Question | None], bool], *, reviews_only: bool = False,
    ) -> Choice:  # fmt: skip
        plan = await repo.study_plan(learner_id)
        limits, scheduler, goal = self.limits(plan), self.scheduler(plan), Goal.of(plan)
        if goal is not None and goal.day < today:
            goal = None  # a goal in the past plans nothing
        # A new question takes a slot when it is first graded (skipping it gives the slot back).
        new_today = await repo.first_grades_on(learner_id, today)
        _, reviews_today = await repo.day_counts(learner_id, today)

        due = [c for c in await repo.due_cards(learner_id, today) if fits(view.get(c.question_id))]
        # Highest predicted recall first; what the learner skipped today only when nothing else is left.
        due.sort(key=lambda c: (skipped(c, today), elapsed_share(c, today), c.due, c.id))
        review_cap = reviews_today >= limits.max_reviews_per_day
        review = due[0] if due and not review_cap and not skipped(due[0], today) else None
        new_limit = limits.new_per_day
        if reviews_only:
            if review is None and due and not review_cap:
                review = due[0]  # skipped today, and nothing else is asked for
            return Choice(card=review, new_today=new_today, new_limit=new_limit,
                          review_cap_reached=review is None and review_cap and bool(due))  # fmt: skip

        # Seen before and never graded (walked away from, or a refused answer): before unseen ones.
        ungraded = [c for c in await repo.ungraded_cards(learner_id, today) if fits_new(view.get(c.question_id))]
        waiting = [c for c in ungraded if not skipped(c, today)]

        def new(questions: Sequence[Question], have: set[str]) -> Choice:
            if waiting:
                return Choice(card=waiting[0], new_today=new_today, new_limit=new_limit)
            return Choice(fresh=tuple(questions), have=frozenset(have), new_today=new_today, new_limit=new_limit)

        have: set[str] | None = None
        candidates: list[Question] = []
        if goal is not None:  # the goal needs the unseen target now; otherwise they are read only for a new one
            have = set(await repo.question_ids(learner_id))
            unseen = [q for q in view.questions if q.id not in have and fits_new(q)]
            target = [q for q in unseen if goal.includes(q)]
            if not target and goal_days(goal, today)[1] == 0 and not review_cap:
                # Consolidation: every target question seen; review the one a review helps most by the date.
                held = [
                    c for c in await repo.cards(learner_id)
                    if c.last_review is not None and c.last_shown_on != today and (q := view.get(c.question_id))
                    and goal.includes(q) and fits(q)
                ]  # fmt: skip
                if held:
                    best = max(held, key=lambda c: (goal_gain(scheduler, c, today, goal.day), -c.id))
                    return Choice(card=best, new_today=new_today, new_limit=new_limit)
            if target:
                unseen_this_morning = len(target) + new_today
                if not limits.own_new:
                    new_limit = max(new_limit, needed_per_day(unseen_this_morning, goal, today))
                if new_today < min(share_today(unseen_this_morning, goal, today), new_limit):
                    # the goal's share of today comes first
                    return new(target, have)
            candidates = target or unseen
        new_cap = new_today >= new_limit
        if review is not None and (new_cap or not await self._breadth_wants_new(repo, learner_id, today)):
            return Choice(card=review, new_today=new_today, new_limit=new_limit)
        if not new_cap:
            if have is None:
                have = set(await repo.question_ids(learner_id))
                candidates = [q for q in view.questions if q.id not in have and fits_new(q)]
            if candidates or waiting:
                return new(candidates, have)
        if review is not None:
            return Choice(card=review, new_today=new_today, new_limit=new_limit)
        # Nothing else is left: what was skipped today comes back.
        if due and not review_cap:
            return Choice(card=due[0], new_today=new_today, new_limit=new_limit)
        if ungraded and not new_cap:
            return Choice(card=ungraded[0], new_today=new_today, new_limit=new_limit)
        return Choice(
            new_today=new_today, new_limit=new_limit, new_cap_reached=new_cap, review_cap_reached=review_cap and bool(due)
        )

    async def _breadth_wants_new(self, repo: Repository, learner_id: int, today: date) -> bool:
        """Under a backlog, a new question first: fewer than the weekly floor in 7 days, or none in 3."""
        floor = self.config.min_new_per_week
        if not floor:
            return False
        new_week, _ = await repo.mix_since(learner_id, today - timedelta(days=MIX_WINDOW_DAYS - 1))
        if new_week < floor:
            return True
        new_lately, _ = await repo.mix_since(learner_id, today - timedelta(days=GAP_DAYS - 1))
        return new_lately == 0


def elapsed_share(card: CardRecord, today: date) -> float:
    """Sorts a learner's cards by predicted recall, highest first, without computing it: recall falls
    with elapsed days over stability (one forgetting curve per learner); never graded comes first."""
    if card.last_review is None or not card.stability:
        return -math.inf
    return max(0, (today - card.last_review).days) / card.stability


@lru_cache(maxsize=256)
def _scheduler(params: tuple[float, ...] | None, desired_retention: float, fuzz: bool) -> Scheduler:
    return Scheduler(desired_retention=desired_retention, fuzz=fuzz, parameters=params)


def card_schedule(card: CardRecord) -> Schedule:
    """The FSRS state of a stored card."""
    return Schedule(card.state, card.step, card.stability, card.difficulty, card.due, card.last_review)


# readiness ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Readiness:
    """The expected share of a target set the learner would answer well: predicted recall, an
    unseen question counting 0; per category, and forecast at the goal date."""

    goal: Goal | None
    total: int  # questions in the target set
    seen: int
    today: float
    categories: tuple[tuple[str, float, int], ...]  # (category, readiness, questions) in CATEGORIES order
    pace: float  # views per day lately
    forecast_seen: int | None = None  # at the goal date, at this pace
    forecast: float | None = None  # readiness at the goal date, at this pace
    needed_per_day: int | None = None  # new questions a day that show the whole target in time
    consolidation_days: int | None = None


def readiness(
    view: View, cards: Sequence[CardRecord], scheduler: Scheduler, goal: Goal | None, today: date,
    *, pace: float, limits: Limits,
) -> Readiness:  # fmt: skip
    """How ready the learner is today over their goal's target set (without a goal: the whole bank),
    and where their pace takes them by the goal date."""
    target = [q for q in view.questions if goal is None or goal.includes(q)]
    by_id = {c.question_id: c for c in cards}
    recall: dict[str, float] = {}
    for q in target:
        card = by_id.get(q.id)
        recall[q.id] = scheduler.retrievability(card_schedule(card), today) if card is not None else 0.0
    per_category = []
    for category in CATEGORIES:
        ids = [q.id for q in target if q.category == category]
        if ids:
            per_category.append((category, sum(recall[i] for i in ids) / len(ids), len(ids)))
    total = len(target)
    seen = sum(q.id in by_id for q in target)
    now = sum(recall.values()) / total if total else 0.0
    if goal is None or goal.day < today or not total:
        return Readiness(goal, total, seen, now, tuple(per_category), pace)
    _, intro_days, keep = goal_days(goal, today)
    unseen = total - seen
    new_a_day = min(pace, limits.new_per_day) if limits.own_new else pace
    forecast_seen = seen + min(unseen, int(new_a_day * max(intro_days, 1)))
    # A question seen and then reviewed on schedule sits near the desired retention on the day.
    forecast = forecast_seen * scheduler.desired_retention / total
    return Readiness(
        goal, total, seen, now, tuple(per_category), pace, forecast_seen=forecast_seen, forecast=forecast,
        needed_per_day=needed_per_day(unseen, goal, today), consolidation_days=keep,
    )  # fmt: skip
