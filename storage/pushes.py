"""Push targets (who gets a daily question, where and when) and their deliveries (mixed into Repository)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Insert, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Delivery, Learner, PushTarget

T, D, L = PushTarget.__table__, Delivery.__table__, Learner.__table__

# Delivery statuses: claimed -> sending -> sent | retry (transient failure) | failed | skipped (nothing to send).
DONE = ("sent", "failed", "skipped")


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
class DeliveryRecord:
    id: int
    target_id: int
    local_date: date
    status: str
    worker: str | None
    lease_until: datetime | None
    attempts: int  # sends started so far
    next_attempt_at: datetime | None
    question_id: str | None


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

_DELIVERY_COLS = (
    D.c.id, D.c.target_id, D.c.local_date, D.c.status, D.c.worker, D.c.lease_until, D.c.attempts,
    D.c.next_attempt_at, D.c.question_id,
)  # fmt: skip


# Statements on the delivery path are built once: building and cache-keying one costs more than running it.
_DUE_TARGETS = (
    select(*_TARGET_COLS)
    .where(
        T.c.next_push_at <= bindparam("now"),
        T.c.platform.in_(bindparam("platforms", expanding=True)),
        T.c.active.is_(True),
    )
    .order_by(T.c.next_push_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_PLAN = (
    update(T)
    .where(T.c.id == bindparam("target_id"), T.c.active.is_(True), T.c.paused_reason.is_(None))
    .values(next_push_at=bindparam("at"))
)
_CLAIM_VALUES = dict(
    target_id=bindparam("tid"), local_date=bindparam("day"), status="claimed", worker=bindparam("who"),
    lease_until=bindparam("lease"), attempts=0, claimed_at=bindparam("now"),
)  # fmt: skip
_CLAIM_NEW = {
    module.dialect.name: module.insert(D)
    .values(**_CLAIM_VALUES)
    .on_conflict_do_nothing(index_elements=[D.c.target_id, D.c.local_date])
    .returning(*_DELIVERY_COLS)
    for module in (postgresql, sqlite)
}
_TAKE_OVER = (
    update(D)
    .where(
        D.c.target_id == bindparam("tid"),
        D.c.local_date == bindparam("day"),
        or_(
            and_(D.c.status.in_(("claimed", "sending")), D.c.lease_until < bindparam("now")),
            and_(D.c.status == "retry", D.c.next_attempt_at <= bindparam("now")),
        ),
    )
    .values(status="claimed", worker=bindparam("who"), lease_until=bindparam("lease"), claimed_at=bindparam("now"))
    .returning(*_DELIVERY_COLS)
)
_START_SENDING = (
    update(D)
    .where(D.c.id == bindparam("delivery_id"), D.c.worker == bindparam("who"), D.c.status == "claimed")
    .values(status="sending", attempts=D.c.attempts + 1, lease_until=bindparam("lease"))
)
_SET_QUESTION = update(D).where(D.c.id == bindparam("delivery_id")).values(question_id=bindparam("qid"))
_FINISH = (
    update(D)
    .where(D.c.id == bindparam("delivery_id"), D.c.worker == bindparam("who"))
    .values(
        status=bindparam("new_status"), message_id=bindparam("message"), error=bindparam("problem"),
        sent_at=bindparam("sent"), next_attempt_at=bindparam("retry_at"), lease_until=None,
    )  # fmt: skip
)


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
        """Keep the snooze; plan the next push only for a target no failure paused (planning a paused
        one would make it due for ever, since plan_push leaves it alone, and then send to it)."""
        planned = case((T.c.paused_reason.is_(None), next_push_at), else_=None)
        await self._conn.execute(
            update(T).where(T.c.id == target_id).values(paused_until=until, next_push_at=planned, updated_at=now)
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

    # planning and delivery ------------------------------------------------------------------
    async def due_push_targets(self, now: datetime, platforms: list[str], limit: int) -> list[PushTargetRecord]:
        """Targets whose next push is due, oldest first (ix_push_targets_next). On PostgreSQL the rows
        stay locked until the caller's transaction ends and other workers skip them."""
        rows = await self._conn.execute(_DUE_TARGETS, {"now": now, "platforms": platforms, "limit": limit})
        return [PushTargetRecord(*r) for r in rows]

    async def next_push_due(self, platforms: list[str]) -> datetime | None:
        stmt = select(func.min(T.c.next_push_at)).where(T.c.platform.in_(platforms))
        found = (await self._conn.execute(stmt)).scalar_one()
        if isinstance(found, str):  # SQLite aggregates lose the column type
            found = datetime.fromisoformat(found)
        return found.replace(tzinfo=found.tzinfo or timezone.utc) if found is not None else None

    async def plan_push(self, target_id: int, at: datetime | None) -> None:
        """Plan a running target's next look. One switched off or paused meanwhile (while a push was
        being sent) stays unplanned."""
        await self._conn.execute(_PLAN, {"target_id": target_id, "at": at})

    async def cache_push_channel(self, target_id: int, channel_id: str) -> None:
        await self._conn.execute(update(T).where(T.c.id == target_id).values(channel_id=channel_id))

    async def pause_push_target(self, target_id: int, reason: str, now: datetime) -> None:
        """Stop a target that cannot be delivered to until its owner configures it again."""
        await self._conn.execute(
            update(T).where(T.c.id == target_id).values(paused_reason=reason, next_push_at=None, updated_at=now)
        )

    async def claim_delivery(
        self, target_id: int, day: date, worker: str, now: datetime, lease_until: datetime
    ) -> DeliveryRecord | None:
        """Claim the target's push for `day`: a new row under the unique (target, day) constraint, or
        a row whose worker's lease ran out, or whose retry is due. None: done, or held by another."""
        params = {"tid": target_id, "day": day, "who": worker, "lease": lease_until, "now": now}
        row = (await self._conn.execute(_CLAIM_NEW[self._conn.dialect.name], params)).first()
        if row is None:
            row = (await self._conn.execute(_TAKE_OVER, params)).first()
        return DeliveryRecord(*row) if row else None

    async def delivery(self, target_id: int, day: date) -> DeliveryRecord | None:
        stmt = select(*_DELIVERY_COLS).where(D.c.target_id == target_id, D.c.local_date == day)
        row = (await self._conn.execute(stmt)).first()
        return DeliveryRecord(*row) if row else None

    async def start_sending(self, delivery_id: int, worker: str, lease_until: datetime) -> bool:
        """Move this worker's claim to 'sending' (one more attempt, a fresh lease). False: the claim
        was taken over meanwhile, so this worker must not send."""
        params = {"delivery_id": delivery_id, "who": worker, "lease": lease_until}
        return (await self._conn.execute(_START_SENDING, params)).rowcount == 1

    async def set_delivery_question(self, delivery_id: int, question_id: str) -> None:
        await self._conn.execute(_SET_QUESTION, {"delivery_id": delivery_id, "qid": question_id})

    async def finish_delivery(
        self,
        delivery_id: int,
        worker: str,
        status: str,
        *,
        message_id: str | None = None,
        error: str | None = None,
        sent_at: datetime | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record how this worker's attempt ended (only while the claim is still its own)."""
        params = {
            "delivery_id": delivery_id, "who": worker, "new_status": status, "message": message_id, "problem": error,
            "sent": sent_at, "retry_at": next_attempt_at,
        }  # fmt: skip
        return (await self._conn.execute(_FINISH, params)).rowcount == 1

    async def recent_channel_questions(self, target_id: int, since: date) -> dict[str, date]:
        """Questions posted by this target since `since`, with the day each was last posted."""
        rows = await self._conn.execute(
            select(D.c.question_id, func.max(D.c.local_date))
            .where(D.c.target_id == target_id, D.c.local_date >= since, D.c.question_id.is_not(None))
            .group_by(D.c.question_id)
        )
        return {qid: day if isinstance(day, date) else date.fromisoformat(day) for qid, day in rows}

    # notices -------------------------------------------------------------------------------
    async def set_notice(self, learner_id: int, notice: str | None) -> None:
        await self._conn.execute(update(L).where(L.c.id == learner_id).values(notice=notice))
