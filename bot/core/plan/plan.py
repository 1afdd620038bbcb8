"""The study plan's use cases: a goal, the learner's pace, readiness, and the periodic refit of each
learner's own FSRS parameters (run by the push worker, off the request path).

What to serve next is decided by bot.core.plan.rules, which practice asks; this module is what the
adapters and the push worker call.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, timezone

from bot.core.catalog import View
from bot.core.errors import InvalidInput
from bot.core.plan import fitting
from bot.core.plan import replies as plan_replies
from bot.core.plan.rules import PACE_WINDOW_DAYS, Goal, Planner, Readiness, readiness
from bot.core.practice import LearnerRef, Practice, check_filters
from bot.core.replies import Reply
from storage.plan import FitClaimRecord, HistoryRow
from storage.repositories import LearnerRecord, Repository

log = logging.getLogger(__name__)

MAX_GOAL_DAYS = 3 * 366
MAX_NEW_PER_DAY = 100
MAX_REVIEWS_PER_DAY = 1000


def parse_goal_date(text: str, today: date) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"'{text}' is not a date I can read. Write it as YYYY-MM-DD, e.g. 2027-01-15.") from None
    if day <= today:
        raise InvalidInput(f"Your goal date must be after today ({today:%Y-%m-%d}).")
    if (day - today).days > MAX_GOAL_DAYS:
        raise InvalidInput("Pick a goal date within three years.")
    return day


class StudyPlan:
    def __init__(self, practice: Practice):
        self.practice = practice
        self.planner: Planner = practice.planner

    async def readiness_in(self, repo: Repository, view: View, learner: LearnerRecord, today: date) -> Readiness:
        """Readiness over the learner's goal (else the whole bank), in the caller's transaction."""
        plan = await repo.study_plan(learner.id)
        limits = self.planner.limits(plan)
        new, reviews = await repo.mix_since(learner.id, today - timedelta(days=PACE_WINDOW_DAYS - 1))
        # Views a day over the last two weeks, or since they started if that is sooner; no views yet:
        # the default new-question limit.
        days = max(1, min(PACE_WINDOW_DAYS, (today - learner.created_at.date()).days + 1))
        pace = (new + reviews) / days or float(limits.new_per_day)
        cards = [c for c in await repo.cards(learner.id) if view.get(c.question_id) is not None]
        return readiness(view, cards, self.planner.scheduler(plan), Goal.of(plan), today, pace=pace, limits=limits)

    async def set_goal(
        self, who: LearnerRef, day: str, categories: Sequence[str] = (), level: str | None = None,
        tenant: str | None = None,
    ) -> Reply:  # fmt: skip
        """A goal date with optional categories and level; "off" clears the goal."""
        chosen = tuple(dict.fromkeys(c.strip() for part in categories for c in part.split(",") if c.strip()))
        for category in chosen:
            check_filters(category, None)
        check_filters(None, level)
        p = self.practice
        async with p.store.transaction() as repo:
            learner = await p.learner(repo, who)
            today = p.today(learner)
            if day.strip().lower() in ("off", "none", "clear"):
                await repo.save_goal(learner.id, None, (), None, p.clock.now())
                return plan_replies.goal_cleared_reply()
            goal = Goal(parse_goal_date(day, today), chosen, level, set_on=today)
            view = await p.catalog.view(repo, tenant)
            if not any(goal.includes(q) for q in view.questions):
                raise InvalidInput("No question here matches that goal; try fewer filters.")
            await repo.save_goal(learner.id, goal.day, goal.categories, goal.level, p.clock.now(), set_on=today)
            return plan_replies.goal_reply(await self.readiness_in(repo, view, learner, today))

    async def goal(self, who: LearnerRef, tenant: str | None = None) -> Reply:
        p = self.practice
        async with p.store.transaction() as repo:
            learner = await p.learner(repo, who)
            today = p.today(learner)
            r = await self.readiness_in(repo, await p.catalog.view(repo, tenant), learner, today)
        if r.goal is None or r.goal.day < today:
            return plan_replies.no_goal_reply()
        return plan_replies.goal_reply(r)

    async def set_pace(self, who: LearnerRef, new_per_day: int | None = None, max_reviews: int | None = None) -> Reply:
        """Change either limit (None keeps it); with neither, show them."""
        if new_per_day is not None and not 0 <= new_per_day <= MAX_NEW_PER_DAY:
            raise InvalidInput(f"New questions a day: from 0 to {MAX_NEW_PER_DAY}.")
        if max_reviews is not None and not 1 <= max_reviews <= MAX_REVIEWS_PER_DAY:
            raise InvalidInput(f"Reviews a day: from 1 to {MAX_REVIEWS_PER_DAY}.")
        p = self.practice
        async with p.store.transaction() as repo:
            learner = await p.learner(repo, who)
            plan = await repo.study_plan(learner.id)
            if new_per_day is not None or max_reviews is not None:
                new = new_per_day if new_per_day is not None else plan.new_per_day if plan else None
                most = max_reviews if max_reviews is not None else plan.max_reviews_per_day if plan else None
                await repo.save_pace(learner.id, new, most, p.clock.now())
                plan = await repo.study_plan(learner.id)
        return plan_replies.pace_reply(self.planner.limits(plan), self.planner.limits(None))


@dataclass(frozen=True)
class RefitConfig:
    worker_id: str
    min_reviews: int = 200  # measured by bench/plan.py: with fewer, a fit is no better than the defaults
    refit_every: int = 100  # new reviews since the last fit
    lease: timedelta = timedelta(minutes=5)
    batch: int = 10
    max_reviews: int = fitting.FIT_MAX_REVIEWS
    timeout_s: float = 120.0


class Refits:
    """Refit learners' FSRS parameters: claim with a lease (one worker per learner and day), fit off
    the event loop, then store the parameters as a new version and replay each card's memory under
    them. A due date never moves into the past (before the learner's today, or before an overdue
    card's own date) and every review stays as it was; a card graded meanwhile keeps its grade's schedule."""

    def __init__(self, practice: Practice, config: RefitConfig):
        self.practice = practice
        self.config = config

    async def run_due(self) -> Counter[str]:
        """Refit the learners who are due for one (up to a batch); outcome counts."""
        p, cfg = self.practice, self.config
        now = p.clock.now()
        day = now.astimezone(timezone.utc).date()
        counts: Counter[str] = Counter()
        async with p.store.transaction() as repo:
            due = await repo.refit_candidates(cfg.min_reviews, cfg.refit_every, day, now, cfg.batch)
        for learner_id in due:
            async with p.store.transaction() as repo:
                claim = await repo.claim_fit(learner_id, day, cfg.worker_id, now, now + cfg.lease)
            counts[await self.refit(claim) if claim is not None else "held"] += 1
        return counts

    async def refit(self, claim: FitClaimRecord) -> str:
        """fitted | failed | lost (the claim was taken over meanwhile)."""
        p, cfg = self.practice, self.config
        async with p.store.transaction() as repo:
            history = await repo.review_history(claim.learner_id, cfg.max_reviews)
            total = await repo.review_count(claim.learner_id)
        try:
            params = await asyncio.wait_for(asyncio.to_thread(fitting.fit, history), cfg.timeout_s)
            error = None if params is not None else "nothing to fit"
        except Exception as exc:  # noqa: BLE001 - a fit that fails keeps the learner on their current parameters
            log.exception("refit of learner %s failed", claim.learner_id)
            params, error = None, f"{type(exc).__name__}: {exc}"[:500]
        async with p.store.transaction() as repo:
            if params is None:
                await repo.finish_fit(claim.id, cfg.worker_id, "failed", error)
                return "failed"
            if not await repo.finish_fit(claim.id, cfg.worker_id, "done"):
                return "lost"
            await repo.save_fit(claim.learner_id, params, total, p.clock.now())
            await self._replay(repo, claim.learner_id, history)
        return "fitted"

    async def _replay(self, repo: Repository, learner_id: int, history: Sequence[HistoryRow]) -> None:
        learner = await repo.learner_by_id(learner_id)
        if learner is None:
            return
        today = self.practice.today(learner)
        scheduler = self.practice.planner.scheduler(await repo.study_plan(learner_id))
        reviews: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for row in history:
            reviews[row.card_id].append((row.review_date, row.rating))
        for card in await repo.cards(learner_id):
            mine = reviews.get(card.id)
            if not mine or len(mine) != card.reps:  # a history cut short, or a grade since: left as it is
                continue
            memory = fitting.replay(scheduler, mine)
            assert memory.stability is not None and memory.difficulty is not None
            # Earlier than planned is fine (the learner forgets faster than the defaults said), but
            # never before today, nor before an overdue card's own due date.
            due = max(memory.due, min(card.due, today))
            await repo.refresh_memory(card.id, card.version, memory.stability, memory.difficulty, due)

