"""Daily pushes: when each target is due, and the delivery of its question.

A push belongs to one study day of the target's zone (bot.core.scheduling.local_day, rolling over
at the configured hour): a 01:00 push with a 04:00 rollover falls on the next calendar date but
still belongs to the study day before. The plan is always recomputed from the local wall time for
that day, never by adding 24 hours, so it stays at the same local time across DST changes.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.core import push_replies
from bot.core.ports import CredentialsRefused, DeliveryFailed, Destination, Messenger, Sent
from bot.core.practice import Practice, zone
from bot.core.replies import Reply
from bot.core.scheduling import local_day
from storage.pushes import DONE, PushTargetRecord
from storage.repositories import Repository

log = logging.getLogger(__name__)


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive local wall time names in `zone`.

    A wall time that happens twice (clocks fall back) is the first occurrence (fold=0). One that
    does not exist (clocks spring forward) is the end of the gap: 02:30 on a night that jumps from
    02:00 to 03:00 is 03:00.
    """
    first = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=0 reads the wall time with the offset before the change and fold=1 with the
    # offset after, so the change itself lies between the two readings: find it to the second.
    lo = int(wall.replace(tzinfo=zone, fold=1).astimezone(timezone.utc).timestamp())
    hi = int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, timezone.utc)


def push_instant(day: date, at: time, zone: ZoneInfo, rollover_hour: int) -> datetime:
    """When the push of study day `day` goes out, in UTC."""
    calendar_date = day + timedelta(days=1) if at.hour < rollover_hour else day
    return wall_to_utc(datetime.combine(calendar_date, at), zone)


def next_push_at(
    at: time, zone: ZoneInfo, now: datetime, rollover_hour: int, *, not_before: date | None = None
) -> datetime:
    """The first push at or after `now`, on study day `not_before` or later (a snooze ends that day)."""
    day = local_day(now, zone, rollover_hour)
    if not_before is not None and not_before > day:
        day = not_before
    instant = push_instant(day, at, zone, rollover_hour)
    if instant < now:
        instant = push_instant(day + timedelta(days=1), at, zone, rollover_hour)
    return instant


@dataclass(frozen=True)
class PushConfig:
    worker_id: str
    rollover_hour: int = 4
    lease: timedelta = timedelta(seconds=60)  # well inside Discord's nonce memory of a few minutes
    max_attempts: int = 5
    retry_base: timedelta = timedelta(seconds=30)  # doubled after each transient failure
    channel_memory_days: int = 60  # a channel does not see the same question again within this many days


@dataclass(frozen=True)
class Claim:
    """One target's push for one study day, held by this worker until its lease ends."""

    delivery_id: int
    day: date
    attempts: int  # sends started before this claim (more than 0: one may have got through)
    question_id: str | None  # picked by an earlier attempt: send the same question again
    target: PushTargetRecord


class Pushes:
    """Who is due now, claim, deliver, record. Every step is a short transaction; sending is outside them."""

    def __init__(self, practice: Practice, messengers: Mapping[str, Messenger], config: PushConfig):
        self.practice = practice
        self.store = practice.store
        self.clock = practice.clock
        self.messengers = messengers
        self.config = config
        self.platforms = sorted(messengers)

    async def next_due_at(self) -> datetime | None:
        """The earliest planned push on the platforms this worker serves (to sleep until then)."""
        async with self.store.transaction() as repo:
            return await repo.next_push_due(self.platforms)

    async def claim_due(self, limit: int) -> list[Claim]:
        """Claim up to `limit` due pushes, oldest first; none means none is due. Targets that are due
        but have nothing to send now (snoozed, done today, held by another worker) are replanned to
        when they next need a look, and the next due ones are looked at instead."""
        now = self.clock.now()
        claims: list[Claim] = []
        async with self.store.transaction() as repo:
            while not claims:
                due = await repo.due_push_targets(now, self.platforms, limit)
                for target in due:
                    claim = await self._claim(repo, target, now)
                    if claim is not None:
                        claims.append(claim)
                if len(due) < limit:
                    break
        return claims

    async def _claim(self, repo: Repository, target: PushTargetRecord, now: datetime) -> Claim | None:
        tz, at = zone(target.timezone), time.fromisoformat(target.local_time)
        today = local_day(now, tz, self.config.rollover_hour)
        if target.paused_until is not None and target.paused_until > today:
            await repo.plan_push(target.id, self._plan(target, now, target.paused_until))
            return None
        # Only today's push is ever sent: a day missed while no worker ran is not back-filled, and a
        # clock that went back waits for today's time again.
        due_at = push_instant(today, at, tz, self.config.rollover_hour)
        if due_at > now:
            await repo.plan_push(target.id, due_at)
            return None
        lease_until = now + self.config.lease
        delivery = await repo.claim_delivery(target.id, today, self.config.worker_id, now, lease_until)
        if delivery is None:
            held = await repo.delivery(target.id, today)
            assert held is not None
            if held.status in DONE:
                await repo.plan_push(target.id, self._plan(target, now, today + timedelta(days=1)))
            else:  # another worker's lease, or a retry later today
                await repo.plan_push(target.id, held.next_attempt_at if held.status == "retry" else held.lease_until)
            return None
        await repo.plan_push(target.id, lease_until)  # due again, for a takeover, if this worker dies holding it
        return Claim(delivery.id, today, delivery.attempts, delivery.question_id, target)

    def scheduled_at(self, claim: Claim) -> datetime:
        """The instant a claimed push was planned for (its lag is measured from here)."""
        target = claim.target
        return push_instant(claim.day, time.fromisoformat(target.local_time), zone(target.timezone),
                            self.config.rollover_hour)  # fmt: skip

    def _plan(self, target: PushTargetRecord, now: datetime, not_before: date) -> datetime:
        if target.paused_until is not None and target.paused_until > not_before:
            not_before = target.paused_until
        at = time.fromisoformat(target.local_time)
        return next_push_at(at, zone(target.timezone), now, self.config.rollover_hour, not_before=not_before)

    async def deliver(self, claim: Claim) -> str:
        """Send one claimed push and record how it went: sent | retry | failed | skipped | lost (the
        claim was taken over by another worker, which sends it instead)."""
        target = claim.target
        async with self.store.transaction() as repo:
            lease_until = self.clock.now() + self.config.lease
            if not await repo.start_sending(claim.delivery_id, self.config.worker_id, lease_until):
                return "lost"
            content = await self._content(repo, claim)
            if content is None:  # e.g. every question seen and nothing due: no message today
                await repo.finish_delivery(claim.delivery_id, self.config.worker_id, "skipped")
                await repo.plan_push(target.id, self._plan(target, self.clock.now(), claim.day + timedelta(days=1)))
                return "skipped"
            question_id, reply = content
            if claim.question_id is None:
                await repo.set_delivery_question(claim.delivery_id, question_id)
        destination = Destination(target.platform, target.kind, target.tenant, target.recipient, target.channel_id)
        try:
            sent = await self.messengers[target.platform].send(
                destination, reply, idempotency_key=f"ipb-{claim.delivery_id}", maybe_sent=claim.attempts > 0
            )
        except DeliveryFailed as failure:
            return await self._failed(claim, failure)
        except CredentialsRefused:
            raise  # the worker stops; this claim's lease runs out and it is taken over once fixed
        except Exception as exc:  # noqa: BLE001 - one broken push must not stop the others
            log.exception("push delivery %s: unexpected error", claim.delivery_id)
            return await self._failed(claim, DeliveryFailed(f"unexpected {type(exc).__name__}", permanent=False))
        return await self._sent(claim, sent)

    async def _sent(self, claim: Claim, sent: Sent) -> str:
        """Record the message, keep a new DM channel for next time, plan tomorrow's push."""
        target, now = claim.target, self.clock.now()
        async with self.store.transaction() as repo:
            if await repo.finish_delivery(
                claim.delivery_id, self.config.worker_id, "sent", message_id=sent.message_id, sent_at=now
            ):
                if target.kind == "dm" and sent.channel_id != target.channel_id:
                    await repo.cache_push_channel(target.id, sent.channel_id)
                await repo.plan_push(target.id, self._plan(target, now, claim.day + timedelta(days=1)))
        return "sent"

    async def _content(self, repo: Repository, claim: Claim) -> tuple[str, Reply] | None:
        target = claim.target
        if target.kind == "dm":
            assert target.learner_id is not None
            picked = await self.practice.daily_question(
                repo, target.learner_id, target.categories, target.tenant, chosen=claim.question_id
            )
            return (picked[0].id, picked[1]) if picked is not None else None
        view = await self.practice.catalog.view(repo, target.tenant)
        q = view.get(claim.question_id) if claim.question_id is not None else None
        if q is None:
            since = claim.day - timedelta(days=self.config.channel_memory_days)
            posted = await repo.recent_channel_questions(target.id, since)
            # Never posted lately first, else the one posted longest ago; a stable shuffle per channel and day.
            q = min(
                view.questions,
                key=lambda q: (posted.get(q.id, date.min), zlib.crc32(f"{target.id}:{claim.day}:{q.id}".encode())),
                default=None,
            )
        return (q.id, push_replies.qotd_reply(q)) if q is not None else None

    async def _failed(self, claim: Claim, failure: DeliveryFailed) -> str:
        """Permanent: pause the target and tell its learner next time. Transient: retry with
        exponential backoff within the same study day, then give up until tomorrow."""
        target, worker, now = claim.target, self.config.worker_id, self.clock.now()
        attempts = claim.attempts + 1
        log.warning("push delivery %s attempt %d failed (%s): %s", claim.delivery_id, attempts,
                    "permanent" if failure.permanent else "transient", failure.reason)  # fmt: skip
        async with self.store.transaction() as repo:
            if failure.permanent:
                if await repo.finish_delivery(claim.delivery_id, worker, "failed", error=failure.reason):
                    await repo.pause_push_target(target.id, failure.reason, now)
                    if target.learner_id is not None:
                        await repo.set_notice(target.learner_id, push_replies.push_stopped_notice(failure.reason))
                return "failed"
            backoff = self.config.retry_base * 2 ** (attempts - 1)
            retry_at = now + max(backoff, timedelta(seconds=failure.retry_after or 0))
            same_day = local_day(retry_at, zone(target.timezone), self.config.rollover_hour) == claim.day
            if attempts < self.config.max_attempts and same_day:
                if await repo.finish_delivery(
                    claim.delivery_id, worker, "retry", error=failure.reason, next_attempt_at=retry_at
                ):
                    await repo.plan_push(target.id, retry_at)
                return "retry"
            error = f"gave up for the day after {attempts} attempt(s): {failure.reason}"
            if await repo.finish_delivery(claim.delivery_id, worker, "failed", error=error):
                await repo.plan_push(target.id, self._plan(target, now, claim.day + timedelta(days=1)))
            return "failed"
