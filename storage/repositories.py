"""Every query the core needs; no SQL lives anywhere else.

The core opens a unit of work with `Store.transaction()` and calls these methods. They use
SQLAlchemy Core statements on one connection: no identity map or lazy loading on the hot path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.accounts import AccountQueries
from storage.errors import DatabaseUnavailable
from storage.health import unavailable
from storage.inbound import InboundEvents
from storage.mocks import MockQueries
from storage.models import Card, CustomQuestion, Learner, Review
from storage.plan import PlanQueries
from storage.progress import ProgressQueries
from storage.pushes import PushTargets
from storage.slack_installs import SlackInstalls

L, C, R, Q = Learner.__table__, Card.__table__, Review.__table__, CustomQuestion.__table__


@dataclass(frozen=True)
class LearnerRecord:
    """A learner, as its own row says. After linking, the identity that asked may be another one:
    platform, user id, workspace and name here are the learner's first identity, not the asker's."""

    id: int
    platform: str
    platform_user_id: str
    workspace: str
    display_name: str  # looked up by identity: that identity's own name
    timezone: str | None
    preferences: dict[str, Any]
    leaderboard_opt_out: bool
    created_at: datetime
    notice: str | None  # to tell them the next time they use the bot (e.g. their pushes stopped)
    timezone_chosen: bool  # the learner named `timezone`; only another choice of theirs replaces it


@dataclass(frozen=True)
class CardRecord:
    id: int
    question_id: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: date
    last_review: date | None
    version: int
    reps: int
    lapses: int
    introduced_on: date
    last_shown_on: date | None
    draft_answer: str | None
    buried_on: date | None  # skipped on this study day
    draft_suggested_grade: int | None = None  # the written-answer feedback's suggestion for the draft
    draft_covered: int | None = None


@dataclass(frozen=True)
class ReviewRecord:
    rating: int
    review_date: date
    card_version: int
    scheduled_days: int
    reviewed_at: datetime


@dataclass(frozen=True)
class LastReview:
    """A learner's most recent grade, with the card as it was before it (None on rows older than undo)."""

    id: int
    card_id: int
    question_id: str
    rating: int
    reviewed_at: datetime
    card_version: int
    answer_text: str | None
    before_state: int | None
    before_step: int | None
    before_stability: float | None
    before_difficulty: float | None
    before_due: date | None
    before_last_review: date | None
    suggested_grade: int | None = None  # what the written-answer feedback made of the answer
    covered_points: int | None = None


@dataclass(frozen=True)
class NewReview:
    """A grade to append, with the schedule it produced."""

    rating: int
    reviewed_at: datetime
    review_date: date
    scheduled_days: int
    idempotency_key: str
    answer_text: str | None
    state: int
    step: int | None
    stability: float
    difficulty: float
    due: date
    lapsed: bool
    tenant: str | None = None
    suggested_grade: int | None = None  # what the written answer's evidence suggested
    covered_points: int | None = None


@dataclass(frozen=True)
class ReviewTotals:
    total: int
    today: int
    recall_reviews: int  # reviews of cards past their first review
    recalled: int  # ... of which graded Good or Easy


_LEARNER_COLS = (
    L.c.id, L.c.platform, L.c.platform_user_id, L.c.workspace, L.c.display_name, L.c.timezone, L.c.preferences,
    L.c.leaderboard_opt_out, L.c.created_at, L.c.notice, L.c.timezone_chosen,
)  # fmt: skip
_CARD_COLS = (
    C.c.id, C.c.question_id, C.c.state, C.c.step, C.c.stability, C.c.difficulty, C.c.due, C.c.last_review,
    C.c.version, C.c.reps, C.c.lapses, C.c.introduced_on, C.c.last_shown_on, C.c.draft_answer, C.c.buried_on,
    C.c.draft_suggested_grade, C.c.draft_covered,
)  # fmt: skip

# Hot-path statements are built once: building and cache-keying a statement costs more than running it.
# A platform identity resolves to its learner in one statement: a linked identity points at the
# learner it was merged into (merged_into always names a learner that is not merged itself).
_IDENTITY = L.alias("identity")
_LEARNER_BY_IDENTITY = (  # with the name of the identity asked about, not of the learner it resolves to
    select(*(_IDENTITY.c.display_name if c is L.c.display_name else c for c in _LEARNER_COLS))
    .select_from(_IDENTITY.join(L, L.c.id == func.coalesce(_IDENTITY.c.merged_into, _IDENTITY.c.id)))
    .where(
        _IDENTITY.c.platform == bindparam("platform"),
        _IDENTITY.c.workspace == bindparam("workspace"),
        _IDENTITY.c.platform_user_id == bindparam("user_id"),
    )
)
_LEARNER_BY_ID = select(*_LEARNER_COLS).where(L.c.id == bindparam("learner_id"))
# The learner's day, defined once (bot.core.agenda reads it through these two statements): a card is
# *due* when it has been graded and its due date has come; a card never graded is *seen, not graded*
# (a new question, offered again within the daily cap). Cards skipped today come last in both.
_SKIPPED_LAST = case((C.c.buried_on == bindparam("today"), 1), else_=0)
_DUE_CARDS = (
    select(*_CARD_COLS)
    .where(C.c.learner_id == bindparam("learner_id"), C.c.last_review.is_not(None), C.c.due <= bindparam("today"))
    .order_by(_SKIPPED_LAST, C.c.due, C.c.id)
)
_UNGRADED_CARDS = (
    select(*_CARD_COLS)
    .where(C.c.learner_id == bindparam("learner_id"), C.c.last_review.is_(None))
    .order_by(_SKIPPED_LAST, C.c.introduced_on, C.c.id)
)
_CARD = select(*_CARD_COLS).where(C.c.learner_id == bindparam("learner_id"), C.c.question_id == bindparam("question_id"))
_MARK_SHOWN = update(C).where(C.c.id == bindparam("card_id")).values(last_shown_on=bindparam("today"))
_APPLY_REVIEW = (
    update(C)
    .where(C.c.id == bindparam("card_id"), C.c.version == bindparam("expected_version"))
    .values(
        state=bindparam("new_state"), step=bindparam("new_step"), stability=bindparam("new_stability"),
        difficulty=bindparam("new_difficulty"), due=bindparam("new_due"), last_review=bindparam("reviewed_on"),
        version=bindparam("expected_version") + 1, reps=C.c.reps + 1, lapses=C.c.lapses + bindparam("lapse"),
        draft_answer=None, draft_suggested_grade=None, draft_covered=None,
    )  # fmt: skip
)
_INSERT_REVIEW = insert(R)


@dataclass(frozen=True)
class CustomRecord:
    id: int
    slug: str
    document: dict[str, Any]


class CustomQuestions:
    """A tenant's imported questions (mixed into Repository)."""

    _conn: AsyncConnection

    async def custom_stamp(self, tenant: str) -> tuple[int, datetime | None]:
        """Changes whenever the tenant's questions change: a cheap check before reloading them."""
        stmt = select(func.count(), func.max(Q.c.updated_at)).where(Q.c.tenant == tenant)
        count, latest = (await self._conn.execute(stmt)).one()
        if isinstance(latest, str):  # SQLite aggregates lose the column type
            latest = datetime.fromisoformat(latest)
        return count, latest

    async def custom_questions(self, tenant: str) -> list[CustomRecord]:
        rows = await self._conn.execute(
            select(Q.c.id, Q.c.slug, Q.c.document).where(Q.c.tenant == tenant).order_by(Q.c.id)
        )
        return [CustomRecord(*r) for r in rows]

    async def save_custom(self, tenant: str, documents: list[dict[str, Any]], by: str, now: datetime) -> int:
        """Insert new slugs, replace existing ones (keeping their row id, so cards stay attached)."""
        rows = await self._conn.execute(select(Q.c.slug, Q.c.id).where(Q.c.tenant == tenant))
        existing = {slug: row_id for slug, row_id in rows}
        added = 0
        for doc in documents:
            if doc["id"] in existing:
                await self._conn.execute(
                    update(Q).where(Q.c.id == existing[doc["id"]]).values(document=doc, created_by=by, updated_at=now)
                )
            else:
                await self._conn.execute(
                    insert(Q).values(tenant=tenant, slug=doc["id"], document=doc, created_by=by, updated_at=now)
                )
                added += 1
        return added

    async def delete_custom(self, tenant: str, slug: str) -> bool:
        result = await self._conn.execute(delete(Q).where(Q.c.tenant == tenant, Q.c.slug == slug))
        return result.rowcount == 1


class Repository(
    CustomQuestions, PushTargets, InboundEvents, ProgressQueries, AccountQueries, SlackInstalls, MockQueries,
    PlanQueries,
):
    """Queries on one connection, inside the caller's transaction."""

    def __init__(self, conn: AsyncConnection):
        self._conn = conn

    # learners -------------------------------------------------------------------------------
    async def learner(self, platform: str, user_id: str, workspace: str = "") -> LearnerRecord | None:
        params = {"platform": platform, "workspace": workspace, "user_id": user_id}
        row = (await self._conn.execute(_LEARNER_BY_IDENTITY, params)).first()
        return LearnerRecord(*row) if row else None

    async def rename_identity(self, platform: str, user_id: str, workspace: str, display_name: str) -> None:
        """The name one platform identity goes by (leaderboards show it), as the platform says now."""
        await self._conn.execute(
            update(L)
            .where(L.c.platform == platform, L.c.workspace == workspace, L.c.platform_user_id == user_id)
            .values(display_name=display_name[:100])
        )

    async def learner_by_id(self, learner_id: int) -> LearnerRecord | None:
        row = (await self._conn.execute(_LEARNER_BY_ID, {"learner_id": learner_id})).first()
        return LearnerRecord(*row) if row else None

    async def create_learner(
        self, platform: str, user_id: str, workspace: str, display_name: str, now: datetime
    ) -> LearnerRecord:
        # A savepoint so a concurrent creator's row wins without aborting the caller's transaction.
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(L).values(
                        platform=platform,
                        platform_user_id=user_id,
                        workspace=workspace,
                        display_name=display_name[:100],
                        timezone=None,
                        preferences={},
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass
        found = await self.learner(platform, user_id, workspace)
        assert found is not None
        return found

    async def set_timezone(self, learner_id: int, zone: str, *, chosen: bool = True) -> None:
        await self._conn.execute(update(L).where(L.c.id == learner_id).values(timezone=zone, timezone_chosen=chosen))

    async def set_timezone_if_unset(self, learner_id: int, zone: str) -> bool:
        """A surface's guess, for a learner without any zone yet; a stored zone is never overwritten."""
        result = await self._conn.execute(
            update(L).where(L.c.id == learner_id, L.c.timezone.is_(None)).values(timezone=zone, timezone_chosen=False)
        )
        return result.rowcount == 1

    # cards -----------------------------------------------------------------------------------
    async def due_cards(self, learner_id: int, today: date) -> list[CardRecord]:
        """Graded cards due on or before today: most overdue first, those skipped today last."""
        rows = await self._conn.execute(_DUE_CARDS, {"learner_id": learner_id, "today": today})
        return [CardRecord(*r) for r in rows]

    async def ungraded_cards(self, learner_id: int, today: date) -> list[CardRecord]:
        """Cards shown but never graded: oldest first, those skipped today last."""
        rows = await self._conn.execute(_UNGRADED_CARDS, {"learner_id": learner_id, "today": today})
        return [CardRecord(*r) for r in rows]

    async def upcoming_dues(self, learner_id: int, today: date) -> list[tuple[str, date]]:
        """(question id, due date) of graded cards due after today, soonest first."""
        stmt = (
            select(C.c.question_id, C.c.due)
            .where(C.c.learner_id == learner_id, C.c.last_review.is_not(None), C.c.due > today)
            .order_by(C.c.due, C.c.id)
        )
        return [(question_id, due) for question_id, due in await self._conn.execute(stmt)]

    async def question_ids(self, learner_id: int) -> list[str]:
        return list((await self._conn.execute(select(C.c.question_id).where(C.c.learner_id == learner_id))).scalars())

    async def first_grades_on(self, learner_id: int, day: date) -> int:
        """New questions graded for the first time on `day`: the daily new-question slots used."""
        stmt = select(func.count()).where(R.c.learner_id == learner_id, R.c.review_date == day, R.c.card_version == 0)
        return (await self._conn.execute(stmt)).scalar_one()

    async def card(self, learner_id: int, question_id: str) -> CardRecord | None:
        row = (await self._conn.execute(_CARD, {"learner_id": learner_id, "question_id": question_id})).first()
        return CardRecord(*row) if row else None

    async def add_card(
        self, learner_id: int, question_id: str, state: int, step: int | None, today: date
    ) -> CardRecord:
        values = dict(
            learner_id=learner_id, question_id=question_id, state=state, step=step, stability=None,
            difficulty=None, due=today, last_review=None, version=0, reps=0, lapses=0,
            introduced_on=today, last_shown_on=today,
        )  # fmt: skip
        card_id = (await self._conn.execute(insert(C).values(**values).returning(C.c.id))).scalar_one()
        return CardRecord(
            id=card_id, question_id=question_id, state=state, step=step, stability=None, difficulty=None,
            due=today, last_review=None, version=0, reps=0, lapses=0, introduced_on=today, last_shown_on=today,
            draft_answer=None, buried_on=None,
        )  # fmt: skip

    async def mark_shown(self, card_id: int, today: date) -> None:
        await self._conn.execute(_MARK_SHOWN, {"card_id": card_id, "today": today})

    async def bury(self, card_id: int, version: int, today: date) -> bool:
        """Set a card aside for the study day `today` (a skip), unless it was graded since `version`."""
        result = await self._conn.execute(
            update(C).where(C.c.id == card_id, C.c.version == version).values(buried_on=today)
        )
        return result.rowcount == 1

    async def save_draft(
        self, card_id: int, version: int, text: str, suggested_grade: int | None = None, covered: int | None = None
    ) -> bool:
        """Keep an answer written before grading (and what the feedback made of it), for the grade at
        this card version to store."""
        result = await self._conn.execute(
            update(C)
            .where(C.c.id == card_id, C.c.version == version)
            .values(draft_answer=text, draft_suggested_grade=suggested_grade, draft_covered=covered)
        )
        return result.rowcount == 1

    async def cards(self, learner_id: int) -> list[CardRecord]:
        rows = await self._conn.execute(select(*_CARD_COLS).where(C.c.learner_id == learner_id))
        return [CardRecord(*r) for r in rows]

    # reviews ---------------------------------------------------------------------------------
    async def review_by_key(self, key: str) -> ReviewRecord | None:
        row = (
            await self._conn.execute(
                select(R.c.rating, R.c.review_date, R.c.card_version, R.c.scheduled_days, R.c.reviewed_at).where(
                    R.c.idempotency_key == key
                )
            )
        ).first()
        return ReviewRecord(*row) if row else None

    async def record_review(self, learner_id: int, card: CardRecord, review: NewReview) -> bool:
        """Apply a grade computed from `card` (at its version). False if the card moved on meanwhile."""
        moved = await self._conn.execute(
            _APPLY_REVIEW,
            {
                "card_id": card.id, "expected_version": card.version, "new_state": review.state,
                "new_step": review.step, "new_stability": review.stability, "new_difficulty": review.difficulty,
                "new_due": review.due, "reviewed_on": review.review_date, "lapse": 1 if review.lapsed else 0,
            },  # fmt: skip
        )
        if moved.rowcount != 1:
            return False
        await self._conn.execute(
            _INSERT_REVIEW,
            {
                "card_id": card.id, "learner_id": learner_id, "question_id": card.question_id, "rating": review.rating,
                "reviewed_at": review.reviewed_at, "review_date": review.review_date, "card_version": card.version,
                "scheduled_days": review.scheduled_days, "stability": review.stability,
                "difficulty": review.difficulty, "answer_text": review.answer_text,
                "idempotency_key": review.idempotency_key, "tenant": review.tenant,
                "before_state": card.state, "before_step": card.step, "before_stability": card.stability,
                "before_difficulty": card.difficulty, "before_due": card.due, "before_last_review": card.last_review,
                "suggested_grade": review.suggested_grade, "covered_points": review.covered_points,
            },  # fmt: skip
        )
        return True

    async def last_review(self, learner_id: int) -> LastReview | None:
        """The learner's most recent grade."""
        stmt = (
            select(
                R.c.id, R.c.card_id, R.c.question_id, R.c.rating, R.c.reviewed_at, R.c.card_version, R.c.answer_text,
                R.c.before_state, R.c.before_step, R.c.before_stability, R.c.before_difficulty, R.c.before_due,
                R.c.before_last_review, R.c.suggested_grade, R.c.covered_points,
            )  # fmt: skip
            .where(R.c.learner_id == learner_id)
            .order_by(R.c.reviewed_at.desc(), R.c.id.desc())
            .limit(1)
        )
        row = (await self._conn.execute(stmt)).first()
        return LastReview(*row) if row else None

    async def undo_review(self, review: LastReview, lapsed: bool) -> bool:
        """Put the card back exactly as it was before `review` (schedule, version, counts, the written
        answer as a draft with what the feedback made of it) and delete the review. False if the card
        moved on since."""
        restored = await self._conn.execute(
            update(C)
            .where(C.c.id == review.card_id, C.c.version == review.card_version + 1)
            .values(
                state=review.before_state, step=review.before_step, stability=review.before_stability,
                difficulty=review.before_difficulty, due=review.before_due, last_review=review.before_last_review,
                version=review.card_version, reps=C.c.reps - 1, lapses=C.c.lapses - (1 if lapsed else 0),
                draft_answer=review.answer_text, draft_suggested_grade=review.suggested_grade,
                draft_covered=review.covered_points,
            )  # fmt: skip
        )
        if restored.rowcount != 1:
            return False
        await self._conn.execute(delete(R).where(R.c.id == review.id))
        return True

    async def review_totals(self, learner_id: int, today: date) -> ReviewTotals:
        stmt = select(
            func.count(),
            func.count().filter(R.c.review_date == today),
            func.count().filter(R.c.card_version > 0),
            func.count().filter(and_(R.c.card_version > 0, R.c.rating >= 3)),
        ).where(R.c.learner_id == learner_id)
        return ReviewTotals(*(await self._conn.execute(stmt)).one())


class Store:
    """Opens units of work. One transaction per use case; commit on success, roll back on error.

    A database that cannot be used (down, read-only, full, its SQLite file deleted) raises
    DatabaseUnavailable, never a success: callers say "nothing was recorded". `on_error` hears of each
    such failure (the process's metrics)."""

    def __init__(self, engine: AsyncEngine, on_error: Callable[[DatabaseUnavailable], None] | None = None):
        self.engine = engine
        self.on_error = on_error

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repository]:
        try:
            async with self.engine.begin() as conn:
                yield Repository(conn)
        except Exception as exc:
            found = unavailable(exc, self.engine.url)
            if found is None:
                raise
            if self.on_error is not None:
                self.on_error(found)
            if found is exc:
                raise
            raise found from exc
