"""What the core needs from the outside world, as Protocols. Implementations are passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.replies import Reply


class Observer(Protocol):
    """Hears what the core did, for the process's metrics (bot.ops.metrics); the core never depends on it."""

    def review_recorded(self, platform: str) -> None:
        """A grade was stored as a new FSRS review (a repeated click is not a new one)."""
        ...


class NoObserver:
    def review_recorded(self, platform: str) -> None:
        pass


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


@dataclass(frozen=True)
class Destination:
    """Where a push goes, as the platform names it."""

    platform: str  # discord | slack
    kind: str  # dm | channel
    tenant: str | None  # slack:<team> picks the workspace token; None for a Discord DM
    recipient: str | None  # the platform user id, for a DM
    channel_id: str | None  # the channel, or the DM channel when it is already known


@dataclass(frozen=True)
class Sent:
    message_id: str
    channel_id: str  # for a DM, the DM channel (the core caches it)


class DeliveryFailed(Exception):
    """A push was not delivered. Permanent: stop pushing there (DMs closed, channel gone, bot removed).
    Otherwise transient (5xx, timeout, rate limit beyond retries): try again later the same day."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class CredentialsRefused(Exception):
    """The platform rejects the bot's own credentials (e.g. a reset token). Nothing can be delivered
    until an operator fixes it, and every further attempt is one more 401 (Discord bans an IP that
    sends too many): the worker stops instead of retrying."""


class Messenger(Protocol):
    async def send(self, dest: Destination, reply: Reply, *, idempotency_key: str, maybe_sent: bool = False) -> Sent:
        """Post `reply`. `idempotency_key` is stable for one push: a platform that can deduplicate
        on it (Discord's nonce, Slack message metadata) must return the first message instead of
        posting a second. `maybe_sent`: an earlier attempt may have posted it already.
        Raises DeliveryFailed."""
        ...
