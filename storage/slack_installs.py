"""Our side of slack-sdk's OAuth state table (slack-sdk issues and consumes the states itself)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import slack_oauth_states

S = slack_oauth_states


class SlackInstalls:
    """Mixed into Repository."""

    _conn: AsyncConnection

    async def live_oauth_states(self, now: datetime) -> int:
        """Delete expired install states; how many are still valid."""
        naive = now.astimezone(timezone.utc).replace(tzinfo=None)  # slack-sdk stores naive UTC
        await self._conn.execute(delete(S).where(S.c.expire_at <= naive))
        return (await self._conn.execute(select(func.count()).select_from(S))).scalar_one()
