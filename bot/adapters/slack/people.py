"""Who a Slack user is, as far as the adapter cares: their profile timezone and whether they are an admin.

users.info is Tier 4 (100+/min) but still a round trip, so answers are cached for a few minutes per
process. A configured SLACK_ADMIN_IDS list grants admin rights on top of workspace admins and owners.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    name: str
    timezone: str | None
    is_admin: bool
    deleted: bool


class Directory:
    def __init__(
        self, admin_ids: tuple[str, ...] = (), *, ttl: float = 300.0, now: Callable[[], float] = time.monotonic
    ):
        self.admin_ids = frozenset(admin_ids)
        self.ttl = ttl
        self._now = now
        self._cache: dict[tuple[str, str], tuple[float, Person | None]] = {}

    async def person(self, client: AsyncWebClient, team: str, user: str) -> Person | None:
        """None when Slack will not say (the user is unknown, or the call failed): callers carry on."""
        cached = self._cache.get((team, user))
        if cached is not None and cached[0] > self._now():
            return cached[1]
        found: Person | None
        try:
            info = (await client.users_info(user=user))["user"]
            is_admin = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
            profile = info.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or info.get("name") or ""
            found = Person(name, info.get("tz"), is_admin, bool(info.get("deleted")))
        except SlackApiError as exc:
            log.warning("users.info for %s in %s failed: %s", user, team, exc.response.get("error"))
            found = None
        self._cache[(team, user)] = (self._now() + self.ttl, found)
        return found

    async def is_admin(self, client: AsyncWebClient, team: str, user: str) -> bool:
        if user in self.admin_ids:
            return True
        found = await self.person(client, team, user)
        return found is not None and found.is_admin and not found.deleted
