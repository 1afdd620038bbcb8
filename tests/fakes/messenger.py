"""A hand-written Messenger for core tests: records what it posts and keeps the port's promise that a
repeated idempotency key returns the first message (as Discord's nonce does)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bot.core.ports import DeliveryFailed, Destination, Sent
from bot.core.replies import Reply


class Crash(BaseException):
    """A worker killed mid-send: nothing after the send runs (not an Exception, so nobody catches it)."""


@dataclass
class Posted:
    destination: Destination
    reply: Reply
    idempotency_key: str
    maybe_sent: bool


@dataclass
class FakeMessenger:
    posted: list[Posted] = field(default_factory=list)
    calls: int = 0
    # What the next sends do instead of posting: a DeliveryFailed to raise, or "crash" to post and then die.
    script: deque[DeliveryFailed | str] = field(default_factory=deque)
    _first: dict[str, Sent] = field(default_factory=dict)

    async def send(self, dest: Destination, reply: Reply, *, idempotency_key: str, maybe_sent: bool = False) -> Sent:
        self.calls += 1
        step = self.script.popleft() if self.script else None
        if isinstance(step, DeliveryFailed):
            raise step
        if idempotency_key not in self._first:
            channel = dest.channel_id or f"D-{dest.recipient}"
            self._first[idempotency_key] = Sent(f"M{len(self.posted) + 1}", channel)
            self.posted.append(Posted(dest, reply, idempotency_key, maybe_sent))
        if step == "crash":
            raise Crash()
        return self._first[idempotency_key]

    def to(self, recipient_or_channel: str) -> list[Posted]:
        return [p for p in self.posted if recipient_or_channel in (p.destination.recipient, p.destination.channel_id)]
