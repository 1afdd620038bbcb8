"""Study plans (goal, pace, fitted FSRS parameters), the day's mix of views, and refit claims
(mixed into Repository). A refit claim works like a push delivery's: a row keyed by (learner, day)
under a unique constraint, held with a lease that another worker may take over once it runs out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Card, FitClaim, Review, StudyPlan
from storage.pushes import dialect_insert

P, F, C, R = StudyPlan.__table__, FitClaim.__table__, Card.__table__, Review.__table__


@dataclass(frozen=True)
class PlanRecord:
    learner_id: int
    goal_date: date | None
    goal_set_on: date | None
    goal_categories: list[str]
    goal_level: str | None
    new_per_day: int | None
    max_reviews_per_day: int | None
    fsrs_parameters: list[float] | None
    fsrs_version: int
    fitted_reviews: int
    fitted_at: datetime | None


@dataclass(frozen=True)
class HistoryRow:
    """One review of one card, for fitting: ordered by card, then by when it happened."""

    card_id: int
    rating: int
    review_date: date


@dataclass(frozen=True)
class FitClaimRecord:
    id: int
    learner_id: int
    local_date: date


_PLAN_COLS = (
    P.c.learner_id, P.c.goal_date, P.c.goal_set_on, P.c.goal_categories, P.c.goal_level, P.c.new_per_day, P.c.max_reviews_per_day,
    P.c.fsrs_parameters, P.c.fsrs_version, P.c.fitted_reviews, P.c.fitted_at,
)  # fmt: skip
_PLAN = select(*_PLAN_COLS).where(P.c.learner_id == bindparam("learner_id"))
_DAY_COUNTS = select(
    func.count().filter(C.c.introduced_on == bindparam("today")),
    func.count().filter(and_(C.c.last_shown_on == bindparam("today"), C.c.introduced_on < bindparam("today"))),
).where(C.c.learner_id == bindparam("learner_id"))
_NEW_SINCE = (
    select(func.count())
    .where(C.c.learner_id == bindparam("learner_id"), C.c.introduced_on >= bindparam("since"))
    .scalar_subquery()
)
_REVIEWS_SINCE = (
    select(func.count())
    .where(R.c.learner_id == bindparam("learner_id"), R.c.review_date >= bindparam("since"), R.c.card_version > 0)
    .scalar_subquery()
)
_MIX_SINCE = select(_NEW_SINCE, _REVIEWS_SINCE)
_FIT_COLS = (F.c.id, F.c.learner_id, F.c.local_date)


class PlanQueries:
    _conn: AsyncConnection

    async def study_plan(self, learner_id: int) -> PlanRecord | None:
        row = (await self._conn.execute(_PLAN, {"learner_id": learner_id})).first()
        return PlanRecord(*row) if row else None

    async def _upsert_plan(self, learner_id: int, now: datetime, **values: object) -> None:
        """Create the learner's plan row or change only the given columns (a goal never touches the fit)."""
        defaults = dict(goal_categories=[], fsrs_version=0, fitted_reviews=0)
        stmt = dialect_insert(self._conn, P).values(learner_id=learner_id, updated_at=now, **{**defaults, **values})
        changes = {k: stmt.excluded[k] for k in (*values, "updated_at")}
        await self._conn.execute(stmt.on_conflict_do_update(index_elements=[P.c.learner_id], set_=changes))

    async def save_goal(
        self, learner_id: int, goal_date: date | None, categories: Sequence[str], level: str | None, now: datetime,
        set_on: date | None = None,
    ) -> None:  # fmt: skip
        await self._upsert_plan(
            learner_id, now, goal_date=goal_date, goal_set_on=set_on, goal_categories=list(categories), goal_level=level
        )

    async def save_pace(self, learner_id: int, new_per_day: int | None, max_reviews: int | None, now: datetime) -> None:
        await self._upsert_plan(learner_id, now, new_per_day=new_per_day, max_reviews_per_day=max_reviews)

    async def day_counts(self, learner_id: int, today: date) -> tuple[int, int]:
        """(new questions introduced today, earlier questions shown again today)."""
        new, reviews = (await self._conn.execute(_DAY_COUNTS, {"learner_id": learner_id, "today": today})).one()
        return new, reviews

    async def mix_since(self, learner_id: int, since: date) -> tuple[int, int]:
        """(new questions introduced, repeat reviews graded) from `since` on."""
        new, reviews = (await self._conn.execute(_MIX_SINCE, {"learner_id": learner_id, "since": since})).one()
        return new, reviews

    # fitting -----------------------------------------------------------------------------------
    async def review_count(self, learner_id: int) -> int:
        stmt = select(func.count()).where(R.c.learner_id == learner_id)
        return (await self._conn.execute(stmt)).scalar_one()

    async def review_history(self, learner_id: int, limit: int) -> list[HistoryRow]:
        """The learner's reviews card by card, oldest first within a card; at most `limit` rows (a cut
        card keeps its oldest reviews, which is still a valid history)."""
        rows = await self._conn.execute(
            select(R.c.card_id, R.c.rating, R.c.review_date)
            .where(R.c.learner_id == learner_id)
            .order_by(R.c.card_id, R.c.review_date, R.c.id)
            .limit(limit)
        )
        return [HistoryRow(*r) for r in rows]

    async def refit_candidates(
        self, min_reviews: int, refit_every: int, day: date, now: datetime, limit: int
    ) -> list[int]:
        """Learners with enough reviews, and enough new ones since their last fit, that no worker
        holds or finished a refit of today."""
        count = func.count(R.c.id)
        held_or_done = exists().where(
            F.c.learner_id == R.c.learner_id,
            F.c.local_date == day,
            or_(F.c.status != "claimed", F.c.lease_until >= now),
        )
        stmt = (
            select(R.c.learner_id)
            .select_from(R.outerjoin(P, P.c.learner_id == R.c.learner_id))
            .where(~held_or_done)
            .group_by(R.c.learner_id, P.c.fitted_reviews)
            .having(and_(count >= min_reviews, count >= func.coalesce(P.c.fitted_reviews, 0) + refit_every))
            .order_by(R.c.learner_id)
            .limit(limit)
        )
        return list((await self._conn.execute(stmt)).scalars())

    async def claim_fit(
        self, learner_id: int, day: date, worker: str, now: datetime, lease_until: datetime
    ) -> FitClaimRecord | None:
        """Claim the learner's refit for `day`: a new row, or one whose worker's lease ran out. None:
        done today, or held by another worker."""
        values = dict(learner_id=learner_id, local_date=day, status="claimed", worker=worker,
                      lease_until=lease_until, claimed_at=now)  # fmt: skip
        stmt = dialect_insert(self._conn, F).values(**values).on_conflict_do_nothing(
            index_elements=[F.c.learner_id, F.c.local_date]
        )
        row = (await self._conn.execute(stmt.returning(*_FIT_COLS))).first()
        if row is None:
            take_over = (
                update(F)
                .where(F.c.learner_id == learner_id, F.c.local_date == day, F.c.status == "claimed",
                       F.c.lease_until < now)  # fmt: skip
                .values(worker=worker, lease_until=lease_until, claimed_at=now)
                .returning(*_FIT_COLS)
            )
            row = (await self._conn.execute(take_over)).first()
        return FitClaimRecord(*row) if row else None

    async def finish_fit(self, claim_id: int, worker: str, status: str, error: str | None = None) -> bool:
        """End this worker's claim (only while it is still its own)."""
        result = await self._conn.execute(
            update(F)
            .where(F.c.id == claim_id, F.c.worker == worker, F.c.status == "claimed")
            .values(status=status, error=error, lease_until=None)
        )
        return result.rowcount == 1

    async def save_fit(self, learner_id: int, parameters: list[float], reviews: int, now: datetime) -> int:
        """Store a learner's fitted parameters as the next version; returns that version."""
        plan = await self.study_plan(learner_id)
        version = (plan.fsrs_version if plan else 0) + 1
        await self._upsert_plan(
            learner_id, now, fsrs_parameters=parameters, fsrs_version=version, fitted_reviews=reviews, fitted_at=now
        )
        return version

    async def refresh_memory(
        self, card_id: int, version: int, stability: float, difficulty: float, due: date
    ) -> bool:
        """A refit's memory state for a card, unless a grade moved it on meanwhile (the grade wins;
        the version is not bumped, so the learner's buttons stay valid)."""
        result = await self._conn.execute(
            update(C)
            .where(C.c.id == card_id, C.c.version == version)
            .values(stability=stability, difficulty=difficulty, due=due)
        )
        return result.rowcount == 1

