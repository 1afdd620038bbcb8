"""Exactly-once handling of platform events that may be delivered again (Slack retries an event it
thinks failed, with the same event_id). The claim lives in the database, so it holds across restarts
and several processes."""

from __future__ import annotations

from bot.core.ports import Clock
from storage.repositories import Store


class Inbound:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    async def first_delivery(self, key: str) -> bool:
        """True the first time `key` (e.g. "slack:Ev123") arrives; False for every redelivery."""
        async with self.store.transaction() as repo:
            return await repo.claim_event(key, self.clock.now())
