"""Queries behind stats, charts and leaderboards (mixed into Repository)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Learner, Review

L, R = Learner.__table__, Review.__table__


@dataclass(frozen=True)
class LeaderRow:
    learner_id: int
    days: int  # distinct local days with a review
    reviews: int


@dataclass(frozen=True)
class GradeCount:
    grades: int
    solid: int  # graded Good (Solid) or Easy (Could teach it)


@dataclass(frozen=True)
class Calibration:
    """Self-grades given on a written answer the feedback had suggested a grade for."""

    total: int
    matched: int  # the self-grade was the suggested one
    above: int  # higher than the suggestion


@dataclass(frozen=True)
class IdentityName:
    learner_id: int  # the learner the identity belongs to
    platform: str
    workspace: str
    display_name: str


class ProgressQueries:
    _conn: AsyncConnection

    async def reviews_per_day(self, learner_id: int, since: date) -> dict[date, int]:
        """Reviews per local day, from `since` on (days without reviews are absent)."""
        stmt = (
            select(R.c.review_date, func.count())
            .where(R.c.learner_id == learner_id, R.c.review_date >= since)
            .group_by(R.c.review_date)
        )
        return {day: n for day, n in await self._conn.execute(stmt)}

    async def grade_counts(self, learner_id: int) -> dict[str, GradeCount]:
        """Per question: every grade the learner gave it, and how many were Solid or better."""
        stmt = (
            select(R.c.question_id, func.count(), func.count().filter(R.c.rating >= 3))
            .where(R.c.learner_id == learner_id)
            .group_by(R.c.question_id)
        )
        return {question_id: GradeCount(n, solid) for question_id, n, solid in await self._conn.execute(stmt)}

    async def calibration(self, learner_id: int, since: date) -> Calibration:
        """How the learner's self-grades compared with their written answers' suggested grades."""
        stmt = select(
            func.count(),
            func.count().filter(R.c.rating == R.c.suggested_grade),
            func.count().filter(R.c.rating > R.c.suggested_grade),
        ).where(R.c.learner_id == learner_id, R.c.review_date >= since, R.c.suggested_grade.is_not(None))
        return Calibration(*(await self._conn.execute(stmt)).one())

    async def review_days(self, learner_id: int) -> list[date]:
        """Every local day with at least one review, newest first."""
        stmt = select(R.c.review_date).distinct().where(R.c.learner_id == learner_id).order_by(R.c.review_date.desc())
        return list((await self._conn.execute(stmt)).scalars())

    async def leaderboard(self, tenant: str, since: date | None) -> list[LeaderRow]:
        """Learners who reviewed in `tenant` (from `since`, or ever), opted-out learners left out,
        best first: most days practised, then most reviews, then the oldest learner."""
        days = func.count(distinct(R.c.review_date))
        reviews = func.count()
        stmt = (
            select(R.c.learner_id, days, reviews)
            .join(L, L.c.id == R.c.learner_id)
            .where(R.c.tenant == tenant, L.c.leaderboard_opt_out.is_(False))
            .group_by(R.c.learner_id)
            .order_by(days.desc(), reviews.desc(), R.c.learner_id)
        )
        if since is not None:
            stmt = stmt.where(R.c.review_date >= since)
        return [LeaderRow(*row) for row in await self._conn.execute(stmt)]

    async def identity_names(self, learner_ids: list[int]) -> list[IdentityName]:
        """The platform identities of these learners (their own and the ones linked into them)."""
        owner = func.coalesce(L.c.merged_into, L.c.id)
        stmt = (
            select(owner, L.c.platform, L.c.workspace, L.c.display_name).where(owner.in_(learner_ids)).order_by(L.c.id)
        )
        return [IdentityName(*row) for row in await self._conn.execute(stmt)]

    async def set_leaderboard_opt_out(self, learner_id: int, opted_out: bool) -> None:
        await self._conn.execute(update(L).where(L.c.id == learner_id).values(leaderboard_opt_out=opted_out))
