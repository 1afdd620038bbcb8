"""Mock interview queries: the round and its steps, optimistic updates, and the worker's claims.

Every change to a mock is `UPDATE ... WHERE version = :seen`, so two clicks (or a click and the
worker) never both move it. The worker claims mocks whose `wake_at` has come with a lease, as the
push worker claims deliveries, so a nudge is sent by one process even with several running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Mock, MockGrade, MockStep

M, S, G = Mock.__table__, MockStep.__table__, MockGrade.__table__


@dataclass(frozen=True)
class MockRecord:
    id: int
    learner_id: int
    tenant: str | None
    platform: str
    recipient: str | None
    channel_id: str | None
    category: str
    level: str
    minutes: int
    status: str
    current_step: int
    version: int
    started_at: datetime
    last_activity_at: datetime
    wake_at: datetime | None
    nudged_step: int
    claimed_by: str | None
    lease_until: datetime | None
    finished_at: datetime | None
    report: dict[str, Any] | None


@dataclass(frozen=True)
class StepRecord:
    id: int
    mock_id: int
    position: int
    kind: str
    name: str
    title: str
    question_id: str
    follow_up: int | None
    probe_text: str
    star_part: str
    box_seconds: int
    started_at: datetime | None
    ended_at: datetime | None
    notes: str


@dataclass(frozen=True)
class NewStep:
    position: int
    kind: str
    name: str
    title: str
    question_id: str
    box_seconds: int
    follow_up: int | None = None
    probe_text: str = ""
    star_part: str = ""


_MOCK_COLUMNS = [M.c[name] for name in MockRecord.__dataclass_fields__]
_STEP_COLUMNS = [S.c[name] for name in StepRecord.__dataclass_fields__]


class MockQueries:
    _conn: AsyncConnection

    async def create_mock(self, **values: Any) -> int:
        result = await self._conn.execute(insert(M).values(**values).returning(M.c.id))
        return int(result.scalar_one())

    async def add_steps(self, mock_id: int, steps: list[NewStep]) -> None:
        if steps:
            await self._conn.execute(insert(S), [{"mock_id": mock_id, "notes": "", **s.__dict__} for s in steps])

    async def mock(self, mock_id: int) -> MockRecord | None:
        row = (await self._conn.execute(select(*_MOCK_COLUMNS).where(M.c.id == mock_id))).first()
        return MockRecord(*row) if row else None

    async def active_mock(self, learner_id: int) -> MockRecord | None:
        stmt = select(*_MOCK_COLUMNS).where(M.c.learner_id == learner_id, M.c.status == "active").order_by(M.c.id.desc())
        row = (await self._conn.execute(stmt)).first()
        return MockRecord(*row) if row else None

    async def mock_history(self, learner_id: int, limit: int) -> list[MockRecord]:
        stmt = (
            select(*_MOCK_COLUMNS)
            .where(M.c.learner_id == learner_id, M.c.status != "active")
            .order_by(M.c.started_at.desc(), M.c.id.desc())
            .limit(limit)
        )
        return [MockRecord(*row) for row in await self._conn.execute(stmt)]

    async def mock_count(self, learner_id: int) -> int:
        stmt = select(func.count()).select_from(M).where(M.c.learner_id == learner_id)
        return (await self._conn.execute(stmt)).scalar_one()

    async def mock_steps(self, mock_id: int) -> list[StepRecord]:
        stmt = select(*_STEP_COLUMNS).where(S.c.mock_id == mock_id).order_by(S.c.position)
        return [StepRecord(*row) for row in await self._conn.execute(stmt)]

    async def update_mock(self, mock_id: int, seen_version: int, **values: Any) -> bool:
        """Apply `values` if nobody changed the mock since `seen_version`; bumps the version."""
        stmt = (
            update(M)
            .where(M.c.id == mock_id, M.c.version == seen_version)
            .values(version=M.c.version + 1, **values)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def update_step(self, step_id: int, **values: Any) -> None:
        await self._conn.execute(update(S).where(S.c.id == step_id).values(**values))

    async def claim_mock_wakeups(
        self, now: datetime, platforms: list[str], worker: str, lease_until: datetime, limit: int
    ) -> list[MockRecord]:
        """Active mocks whose wake time has come and that no live lease holds: now this worker's."""
        free = or_(M.c.lease_until.is_(None), M.c.lease_until < now)
        due = (
            select(M.c.id)
            .where(M.c.status == "active", M.c.wake_at <= now, M.c.platform.in_(platforms), free)
            .order_by(M.c.wake_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self._conn.execute(due)).scalars())
        if not ids:
            return []
        await self._conn.execute(
            update(M).where(M.c.id.in_(ids), free).values(claimed_by=worker, lease_until=lease_until)
        )
        stmt = select(*_MOCK_COLUMNS).where(M.c.id.in_(ids), M.c.claimed_by == worker)
        return [MockRecord(*row) for row in await self._conn.execute(stmt)]

    async def release_mock(self, mock_id: int, worker: str, seen_version: int, **values: Any) -> bool:
        """The worker is done with its claim (and records what it did, e.g. the step it nudged).
        False if the mock changed since `seen_version` (read it again) or the claim is not ours."""
        stmt = (
            update(M)
            .where(M.c.id == mock_id, M.c.claimed_by == worker, M.c.version == seen_version)
            .values(claimed_by=None, lease_until=None, version=M.c.version + 1, **values)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def next_mock_wake(self, platforms: list[str]) -> datetime | None:
        stmt = select(M.c.wake_at).where(M.c.status == "active", M.c.platform.in_(platforms)).order_by(M.c.wake_at)
        return (await self._conn.execute(stmt.where(M.c.wake_at.is_not(None)).limit(1))).scalar()

    async def confirm_mock_grade(self, mock_id: int, question_id: str, rating: int, now: datetime) -> bool:
        """False if a grade for this question of this mock was confirmed already (a double click)."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(G).values(mock_id=mock_id, question_id=question_id, rating=rating, recorded_at=now)
                )
        except IntegrityError:
            return False
        return True

    async def mock_grades(self, mock_id: int) -> dict[str, int]:
        stmt = select(G.c.question_id, G.c.rating).where(G.c.mock_id == mock_id)
        return {qid: rating for qid, rating in await self._conn.execute(stmt)}

    async def export_mocks(self, learner_id: int) -> list[dict[str, Any]]:
        mocks = select(M.c.id, M.c.category, M.c.level, M.c.minutes, M.c.status, M.c.started_at, M.c.finished_at,
                       M.c.report).where(M.c.learner_id == learner_id).order_by(M.c.id)  # fmt: skip
        out = []
        for row in await self._conn.execute(mocks):
            data = dict(row._mapping)
            steps = select(S.c.title, S.c.question_id, S.c.probe_text, S.c.started_at, S.c.ended_at, S.c.notes)
            data["steps"] = [
                dict(r._mapping) for r in await self._conn.execute(steps.where(S.c.mock_id == data.pop("id")).order_by(S.c.position))
            ]
            out.append(data)
        return out

