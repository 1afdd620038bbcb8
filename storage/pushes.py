"""Push targets (who gets a daily question, where and when) and their deliveries (mixed into Repository)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import PushTarget

T = PushTarget.__table__


@dataclass(frozen=True)
class PushTargetRecord:
    id: int
    key: str
    kind: str  # dm | channel
    platform: str
    tenant: str | None
    learner_id: int | None
    recipient: str | None
    channel_id: str | None
    local_time: str
    timezone: str
    categories: list[str]
    active: bool
    paused_until: date | None
    paused_reason: str | None
    next_push_at: datetime | None


@dataclass(frozen=True)
class NewPushTarget:
    """A subscription or a channel's question of the day, as (re)configured by its owner."""

    key: str
    kind: str
    platform: str
    tenant: str | None
    learner_id: int | None
    recipient: str | None
    channel_id: str | None
    local_time: str
    timezone: str
    categories: list[str]
    next_push_at: datetime
    created_by: str


_TARGET_COLS = (
    T.c.id, T.c.key, T.c.kind, T.c.platform, T.c.tenant, T.c.learner_id, T.c.recipient, T.c.channel_id,
    T.c.local_time, T.c.timezone, T.c.categories, T.c.active, T.c.paused_until, T.c.paused_reason, T.c.next_push_at,
)  # fmt: skip


def dialect_insert(conn: AsyncConnection, table: Any) -> Insert:
    """An INSERT that knows ON CONFLICT, in the connection's own dialect (SQLite and PostgreSQL both have it)."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


class PushTargets:
    _conn: AsyncConnection

    async def push_target(self, key: str) -> PushTargetRecord | None:
        row = (await self._conn.execute(select(*_TARGET_COLS).where(T.c.key == key))).first()
        return PushTargetRecord(*row) if row else None

    async def channel_targets(self, tenant: str, platform: str) -> list[PushTargetRecord]:
        """A server's or workspace's active questions of the day."""
        rows = await self._conn.execute(
            select(*_TARGET_COLS)
            .where(T.c.tenant == tenant, T.c.platform == platform, T.c.kind == "channel", T.c.active.is_(True))
            .order_by(T.c.id)
        )
        return [PushTargetRecord(*r) for r in rows]

    async def save_push_target(self, target: NewPushTarget, now: datetime) -> PushTargetRecord:
        """Create or reconfigure (by key) and switch on. A snooze is kept; a failure pause is lifted,
        since configuring again is how an owner says the problem is fixed. A known DM channel is kept."""
        values = dict(
            key=target.key, kind=target.kind, platform=target.platform, tenant=target.tenant,
            learner_id=target.learner_id, recipient=target.recipient, channel_id=target.channel_id,
            local_time=target.local_time, timezone=target.timezone, categories=target.categories, active=True,
            paused_until=None, paused_reason=None, next_push_at=target.next_push_at, created_by=target.created_by,
            updated_at=now,
        )  # fmt: skip
        stmt = dialect_insert(self._conn, T).values(**values)
        changes = {k: stmt.excluded[k] for k in values if k not in ("key", "paused_until", "channel_id")}
        changes["channel_id"] = stmt.excluded.channel_id if target.channel_id is not None else T.c.channel_id
        await self._conn.execute(stmt.on_conflict_do_update(index_elements=[T.c.key], set_=changes))
        saved = await self.push_target(target.key)
        assert saved is not None
        return saved

    async def snooze_push_target(self, target_id: int, until: date | None, next_push_at: datetime, now: datetime) -> None:
        await self._conn.execute(
            update(T)
            .where(T.c.id == target_id)
            .values(paused_until=until, next_push_at=next_push_at, updated_at=now)
        )

    async def stop_push_targets(self, keys: list[str], now: datetime) -> int:
        """Switch targets off (their delivery history stays: it keeps a day from being pushed twice)."""
        if not keys:
            return 0
        result = await self._conn.execute(
            update(T)
            .where(T.c.key.in_(keys), T.c.active.is_(True))
            .values(active=False, next_push_at=None, updated_at=now)
        )
        return result.rowcount
