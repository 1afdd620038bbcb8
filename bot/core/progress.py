"""Progress a learner can see: stats with a streak, a chart, and leaderboards per server/workspace.

Every day here is the learner's local study day (reviews.review_date already is one), so a DST
change never splits or merges days: day arithmetic is calendar arithmetic on those dates.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from bot.core import agenda, charts, progress_replies
from bot.core.feedback.replies import CALIBRATION_DAYS
from bot.core.catalog import View
from bot.core.errors import InvalidInput
from bot.core.plan.plan import StudyPlan
from bot.core.plan.rules import Readiness
from bot.core.practice import LearnerRef, Practice, card_schedule
from bot.core.scheduling import Scheduler
from bot.core.replies import File, Reply
from question_bank.schema import CATEGORIES
from storage.progress import Calibration, GradeCount, IdentityName
from storage.repositories import CardRecord

ONE_DAY = timedelta(days=1)
RECENT_DAYS = 7  # reviews per day shown in the stats
FREEZE_WINDOW_DAYS = 7  # at most one forgiven missed day in any window this long
HEATMAP_WEEKS = 12
FORECAST_DAYS = 30
# period -> how many of the asking learner's study days count, today included (None: all of them)
LEADERBOARD_PERIODS = {"week": 7, "all": None}


@dataclass(frozen=True)
class Streak:
    days: int  # practised days in the current run
    frozen: tuple[date, ...]  # missed days a streak freeze forgave, newest first
    practised_today: bool


def current_streak(practised: Collection[date], today: date) -> Streak:
    """The current streak, counted back from today over local study days.

    - Today counts once practised; until then the run is counted from yesterday (today is not over).
    - Walking back, a practised day adds one to the streak.
    - A missed day is forgiven by a streak freeze (it keeps the run alive but adds nothing) when the
      day before it was practised and no other freeze lies within the 6 days after it, so any 7
      consecutive days hold at most one freeze. Two missed days in a row always end the run.
    - Any other missed day ends the run.
    """
    days = set(practised)
    day = today if today in days else today - ONE_DAY
    count = 0
    frozen: list[date] = []
    while True:
        if day in days:
            count += 1
        elif day - ONE_DAY in days and (not frozen or (frozen[-1] - day).days >= FREEZE_WINDOW_DAYS):
            frozen.append(day)
        else:
            break
        day -= ONE_DAY
    return Streak(count, tuple(frozen), today in days)


@dataclass(frozen=True)
class Mastery:
    """What the grades say about a category or topic.

    `level` is the average FSRS retrievability today over its questions reviewed at least twice: a
    first grade alone says nothing about remembering (right after any grade, even Missed it, FSRS
    predicts full recall today), so with no such question there is no level (None: too early to
    tell). `grades` and `solid` count every grade given on it, first ones included."""

    name: str  # a category or topic slug
    level: float | None
    questions: int  # graded at least once
    grades: int
    solid: int  # graded Solid or Could teach it

    @property
    def weakness(self) -> tuple[Fraction, int, str]:
        """Weakest first by the evidence: the share of solid grades, smoothed so that one grade
        weighs less than many (Laplace: (solid + 1) / (grades + 2)); among equals the one with
        more grades first (surer), then by name so the list never shuffles."""
        return Fraction(self.solid + 1, self.grades + 2), -self.grades, self.name


@dataclass
class _Evidence:
    levels: list[float] = field(default_factory=list)
    questions: int = 0
    grades: int = 0
    solid: int = 0

    def mastery(self, name: str) -> Mastery:
        level = sum(self.levels) / len(self.levels) if self.levels else None
        return Mastery(name, level, self.questions, self.grades, self.solid)


def weakest_first(found: Iterable[Mastery]) -> list[Mastery]:
    return sorted(found, key=lambda m: m.weakness)


@dataclass(frozen=True)
class StatsSnapshot:
    today: date
    due_today: int
    ungraded: int  # seen, not graded (new questions, not due)
    due_next_week: int  # due after today, within 7 days
    next_due: date | None
    reviews_total: int
    reviews_today: int
    recall_reviews: int  # reviews of cards past their first review
    retention: float | None  # share of those graded Good or Easy
    recent: tuple[tuple[date, int], ...]  # reviews per day, oldest first, today last
    streak: Streak
    categories: tuple[tuple[str, Mastery | None], ...]  # every category, None when not started
    topics: tuple[Mastery, ...]  # weakest first (Mastery.weakness)
    new_today: int
    new_cap: int
    calibration: Calibration | None = None  # self-grades against written answers' suggested grades
    readiness: Readiness | None = None  # over the learner's goal, else the whole bank (bot.core.plan)


@dataclass(frozen=True)
class LeaderEntry:
    rank: int  # equal numbers share a rank
    name: str
    days: int
    reviews: int
    is_you: bool


def ranked(rows: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int, int]]:
    """(rank, learner id, days, reviews) from rows already in order; ties share a rank (1, 2, 2, 4)."""
    out: list[tuple[int, int, int, int]] = []
    for position, (learner_id, days, reviews) in enumerate(rows, 1):
        rank = out[-1][0] if out and (out[-1][2], out[-1][3]) == (days, reviews) else position
        out.append((rank, learner_id, days, reviews))
    return out


def preferred_name(identities: list[IdentityName], tenant: str) -> str:
    """The name the learner has on the tenant's platform (an identity linked from another platform
    is named there only if there is no other)."""
    platform, _, scope = tenant.partition(":")
    here = [i for i in identities if i.platform == platform and i.workspace in ("", scope)]
    named = [i.display_name for i in (here or identities) if i.display_name.strip()]
    return named[0] if named else ""


class Progress:
    def __init__(self, practice: Practice):
        self.practice = practice

    async def stats(self, who: LearnerRef, tenant: str | None = None) -> Reply:
        return progress_replies.stats_reply(await self.snapshot(who, tenant))

    async def snapshot(self, who: LearnerRef, tenant: str | None = None) -> StatsSnapshot:
        p = self.practice
        async with p.store.transaction() as repo:
            view = await p.catalog.view(repo, tenant)
            learner = await p.learner(repo, who)
            today = p.today(learner)
            first_recent = today - timedelta(days=RECENT_DAYS - 1)
            day = await agenda.load(repo, learner.id, today, p.config.daily_new_cap, view.has)
            cards = [c for c in await repo.cards(learner.id) if view.has(c.question_id)]
            grades = await repo.grade_counts(learner.id)
            totals = await repo.review_totals(learner.id, today)
            recent = await repo.reviews_per_day(learner.id, first_recent)
            practised = await repo.review_days(learner.id)
            calibration = await repo.calibration(learner.id, today - timedelta(days=CALIBRATION_DAYS - 1))
            plan = await repo.study_plan(learner.id)
            ready = await StudyPlan(p).readiness_in(repo, view, learner, today)
        by_category, by_topic = self._mastery(cards, grades, view, today, p.planner.scheduler(plan))
        return StatsSnapshot(
            today=today,
            due_today=len(day.due),
            ungraded=len(day.ungraded),
            due_next_week=day.due_within(7),
            next_due=day.next_due,
            reviews_total=totals.total,
            reviews_today=totals.today,
            recall_reviews=totals.recall_reviews,
            retention=totals.recalled / totals.recall_reviews if totals.recall_reviews else None,
            recent=tuple((day, recent.get(day, 0)) for day in _days(first_recent, today)),
            streak=current_streak(practised, today),
            categories=tuple((c, by_category.get(c)) for c in CATEGORIES),
            topics=tuple(by_topic),
            new_today=day.new_today,
            new_cap=p.planner.limits(plan).new_per_day,
            calibration=calibration,
            readiness=ready,
        )

    def _mastery(
        self, cards: list[CardRecord], grades: dict[str, GradeCount], view: View, today: date, scheduler: Scheduler
    ) -> tuple[dict[str, Mastery], list[Mastery]]:
        """Mastery per category, and per topic weakest first, over the cards graded at least once
        (a card shown but never graded has nothing to recall yet)."""
        by_category: dict[str, _Evidence] = defaultdict(_Evidence)
        by_topic: dict[str, _Evidence] = defaultdict(_Evidence)
        for card in cards:
            q = view.get(card.question_id)
            if q is None or card.last_review is None:
                continue
            counted = grades.get(card.question_id, GradeCount(0, 0))
            for evidence in (by_category[q.category], *(by_topic[t] for t in q.topics)):
                evidence.questions += 1
                evidence.grades += counted.grades
                evidence.solid += counted.solid
                if card.reps >= 2:  # reviewed past its first grade
                    evidence.levels.append(scheduler.retrievability(card_schedule(card), today))
        categories = {name: e.mastery(name) for name, e in by_category.items()}
        return categories, weakest_first(e.mastery(name) for name, e in by_topic.items())

    async def chart(self, who: LearnerRef, tenant: str | None = None) -> Reply:
        """A PNG: the review heatmap of the last 12 weeks and the 30-day due forecast."""
        p = self.practice
        async with p.store.transaction() as repo:
            view = await p.catalog.view(repo, tenant)
            learner = await p.learner(repo, who)
            today = p.today(learner)
            first_day = today - timedelta(days=today.weekday(), weeks=HEATMAP_WEEKS - 1)  # a Monday
            reviews = await repo.reviews_per_day(learner.id, first_day)
            day = await agenda.load(repo, learner.id, today, p.config.daily_new_cap, view.has)
            ready = await StudyPlan(p).readiness_in(repo, view, learner, today)
        forecast = [0] * FORECAST_DAYS
        forecast[0] = len(day.due)  # overdue counts as due today
        for due in day.upcoming:
            if (due - today).days < FORECAST_DAYS:
                forecast[(due - today).days] += 1
        data = charts.ChartData(
            today=today, first_day=first_day, reviews=reviews, forecast=tuple(forecast),
            readiness=tuple((c, level) for c, level, _ in ready.categories), readiness_total=ready.today,
            readiness_forecast=ready.forecast,
        )  # fmt: skip
        png = await asyncio.to_thread(charts.render_png, data)  # CPU-bound: keep the event loop free
        return progress_replies.chart_reply(data, File("progress.png", png, progress_replies.chart_description(), title="your chart"))

    async def leaderboard(self, who: LearnerRef, tenant: str, period: str = "week") -> Reply:
        """Ranked by days practised, then reviews done (never by self-grades), within one tenant."""
        if period not in LEADERBOARD_PERIODS:
            raise InvalidInput(f"Unknown period '{period}'. Choose one of: {', '.join(LEADERBOARD_PERIODS)}.")
        span = LEADERBOARD_PERIODS[period]
        p = self.practice
        async with p.store.transaction() as repo:
            learner = await p.learner(repo, who)
            since = p.today(learner) - timedelta(days=span - 1) if span else None
            rows = ranked((r.learner_id, r.days, r.reviews) for r in await repo.leaderboard(tenant, since))
            shown = rows[: progress_replies.LEADERBOARD_SIZE]
            shown += [r for r in rows[len(shown) :] if r[1] == learner.id]
            names: dict[int, list[IdentityName]] = defaultdict(list)
            for identity in await repo.identity_names([r[1] for r in shown]):
                names[identity.learner_id].append(identity)
        entries = [
            LeaderEntry(rank, preferred_name(names[learner_id], tenant), days, reviews, learner_id == learner.id)
            for rank, learner_id, days, reviews in shown
        ]
        return progress_replies.leaderboard_reply(
            period, entries, learners=len(rows), opted_out=learner.leaderboard_opt_out
        )

    async def leaderboard_opt_out(self, who: LearnerRef) -> bool:
        """Whether the learner is hidden from leaderboards now."""
        async with self.practice.store.transaction() as repo:
            return (await self.practice.learner(repo, who)).leaderboard_opt_out

    async def set_leaderboard_opt_out(self, who: LearnerRef, opted_out: bool) -> Reply:
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            await repo.set_leaderboard_opt_out(learner.id, opted_out)
        return progress_replies.opt_out_reply(opted_out)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
