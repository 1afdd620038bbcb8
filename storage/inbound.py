"""Platform events already handled, so a redelivery (Slack retries, X-Slack-Retry-Num) runs once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import InboundEvent

E = InboundEvent.__table__
KEEP_FOR = timedelta(days=1)  # Slack gives up retrying within minutes; a day is plenty


class InboundEvents:
    """Mixed into Repository."""

    _conn: AsyncConnection

    async def claim_event(self, key: str, now: datetime) -> bool:
        """True for the first delivery of `key`; False when it was seen before (the row exists)."""
        await self._conn.execute(delete(E).where(E.c.seen_at < now - KEEP_FOR))
        try:
            async with self._conn.begin_nested():  # a duplicate key must not abort the caller's transaction
                await self._conn.execute(insert(E).values(key=key, seen_at=now))
        except IntegrityError:
            return False
        return True
