"""Subscriptions: a learner's daily question by DM, and a channel's question of the day.

Each is a push target row with its local time, IANA zone and the next push instant in UTC (planned
by bot.core.pushes). Changing a target replans it; the delivery history is kept, so switching off
and on again, or moving the time, never yields a second push on a day that already had one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import available_timezones

from bot.core import push_replies
from bot.core.errors import InvalidInput, NotAllowed
from bot.core.practice import LearnerRef, Practice, zone
from bot.core.pushes import next_push_at
from bot.core.replies import Reply
from bot.core.scheduling import local_day
from question_bank.schema import CATEGORIES, CATEGORY_NAMES
from storage.pushes import NewPushTarget

PUSH_PLATFORMS = ("discord", "slack")
MAX_SNOOZE_DAYS = 365
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?", re.IGNORECASE)
_TIME_24H = re.compile(r"(\d{1,2})[:.h](\d{2})", re.IGNORECASE)
TIME_HELP = "Write the time as HH:MM on a 24-hour clock (08:30, 20:00) or with am/pm (8am, 8:30pm)."


def parse_time(text: str) -> time:
    """'08:30', '8:30', '20.00', '8am', '8:30pm' -> a wall time; anything else is InvalidInput."""
    text = text.strip()
    if m := _TIME.fullmatch(text):
        hour, minute, half = int(m[1]), int(m[2] or 0), m[3].lower()
        if 1 <= hour <= 12 and minute < 60:
            return time(hour % 12 + (12 if half == "p" else 0), minute)
    elif m := _TIME_24H.fullmatch(text):
        hour, minute = int(m[1]), int(m[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise InvalidInput(f"'{text}' is not a time I understand. {TIME_HELP}")


def parse_categories(names: Sequence[str]) -> list[str]:
    """Category slugs or names, any case, comma-separated or not ('System design', 'system-design, databases'):
    unknown ones are InvalidInput."""
    by_name = {c: c for c in CATEGORIES} | {n.lower(): c for c, n in CATEGORY_NAMES.items()}
    chosen: list[str] = []
    for name in (part.strip() for entry in names for part in entry.split(",")):
        if not name:
            continue
        key = name.lower()
        slug = by_name.get(key) or by_name.get(key.replace("-", "_").replace(" ", "_"))
        if slug is None:
            raise InvalidInput(f"Unknown category '{name}'. Choose from: {', '.join(CATEGORIES)}.")
        if slug not in chosen:
            chosen.append(slug)
    return [c for c in CATEGORIES if c in chosen]


class Subscriptions:
    def __init__(self, practice: Practice):
        self.practice = practice
        self.store = practice.store
        self.clock = practice.clock
        self.rollover_hour = practice.config.rollover_hour
        self._zone_names: list[str] | None = None

    def _next_text(self, at: time, zone_name: str, not_before: date | None) -> tuple[str, datetime]:
        """The next push instant and how it reads in the target's zone."""
        now = self.clock.now()
        tz = zone(zone_name)
        instant = next_push_at(at, tz, now, self.rollover_hour, not_before=not_before)
        return push_replies.local_moment(instant, tz, now), instant

    async def subscribe(
        self,
        who: LearnerRef,
        time: str,
        timezone: str | None = None,
        categories: Sequence[str] = (),
        *,
        tenant: str | None = None,
        dm_channel_id: str | None = None,
    ) -> Reply:
        """A daily DM at the learner's local time. Naming a zone also makes it the learner's study zone.

        `tenant` matters on Slack only (the workspace whose token sends the DM); a Discord DM belongs
        to no server, so its pushes and their buttons use the shipped bank."""
        if who.platform not in PUSH_PLATFORMS:
            raise InvalidInput("Daily questions are sent as Discord or Slack direct messages; subscribe there.")
        at = parse_time(time)
        if timezone is not None:
            zone(timezone)  # a clear InvalidInput before anything is stored
        chosen = parse_categories(categories)
        async with self.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            if timezone is not None and timezone != learner.timezone:
                await repo.set_timezone(learner.id, timezone)
            zone_name = timezone or learner.timezone or self.practice.config.default_timezone
            key = f"dm:{learner.id}"
            existing = await repo.push_target(key)
            paused_until = existing.paused_until if existing is not None else None
            next_text, instant = self._next_text(at, zone_name, paused_until)
            await repo.save_push_target(
                NewPushTarget(
                    key=key, kind="dm", platform=who.platform,
                    tenant=(tenant or f"slack:{who.workspace}") if who.platform == "slack" else None,
                    learner_id=learner.id, recipient=who.user_id, channel_id=dm_channel_id,
                    local_time=f"{at:%H:%M}", timezone=zone_name, categories=chosen, next_push_at=instant,
                    created_by=who.user_id,
                ),  # fmt: skip
                self.clock.now(),
            )
        return push_replies.subscribed_reply(
            f"{at:%H:%M}", zone_name, chosen, next_text, paused_until=paused_until,
            updated=existing is not None and existing.active,
        )  # fmt: skip

    async def unsubscribe(self, who: LearnerRef) -> Reply:
        async with self.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            stopped = await repo.stop_push_targets([f"dm:{learner.id}"], self.clock.now())
        return push_replies.unsubscribed_reply(stopped > 0)

    async def snooze(self, who: LearnerRef, days: int) -> Reply:
        """No daily question for `days` study days from today (0 resumes now); cards are not touched."""
        if not 0 <= days <= MAX_SNOOZE_DAYS:
            raise InvalidInput(f"Snooze for 0 to {MAX_SNOOZE_DAYS} days (0 resumes now).")
        async with self.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            target = await repo.push_target(f"dm:{learner.id}")
            if target is None or not target.active:
                raise InvalidInput("You have no daily question to snooze. Subscribe first.")
            tz = zone(target.timezone)
            until = local_day(self.clock.now(), tz, self.rollover_hour) + timedelta(days=days) if days else None
            next_text, instant = self._next_text(parse_time(target.local_time), target.timezone, until)
            await repo.snooze_push_target(target.id, until, instant, self.clock.now())
        return push_replies.snoozed_reply(days, until, next_text)

    async def qotd_set(
        self, who: LearnerRef, *, tenant: str, channel_id: str, time: str, timezone: str, is_admin: bool
    ) -> Reply:
        """A channel's question of the day (server or workspace admins only)."""
        if not is_admin:
            raise NotAllowed("Only server or workspace admins can set up the question of the day.")
        if who.platform not in PUSH_PLATFORMS or not tenant or not channel_id:
            raise InvalidInput("The question of the day is set up in a Discord server or a Slack workspace channel.")
        at = parse_time(time)
        zone(timezone)
        key = f"channel:{who.platform}:{channel_id}"
        async with self.store.transaction() as repo:
            existing = await repo.push_target(key)
            if existing is not None and existing.tenant != tenant:
                raise NotAllowed("That channel's question of the day belongs to another server or workspace.")
            next_text, instant = self._next_text(at, timezone, None)
            await repo.save_push_target(
                NewPushTarget(
                    key=key, kind="channel", platform=who.platform, tenant=tenant, learner_id=None, recipient=None,
                    channel_id=channel_id, local_time=f"{at:%H:%M}", timezone=timezone, categories=[],
                    next_push_at=instant, created_by=who.user_id,
                ),  # fmt: skip
                self.clock.now(),
            )
        updated = existing is not None and existing.active
        return push_replies.qotd_set_reply(f"{at:%H:%M}", timezone, next_text, updated=updated)

    async def qotd_off(self, who: LearnerRef, *, tenant: str, channel_id: str | None = None, is_admin: bool) -> Reply:
        """Stop one channel's question of the day, or (no channel) every one in this server or workspace."""
        if not is_admin:
            raise NotAllowed("Only server or workspace admins can turn off the question of the day.")
        async with self.store.transaction() as repo:
            keys = [t.key for t in await repo.channel_targets(tenant, who.platform)]
            if channel_id is not None:
                keys = [k for k in keys if k == f"channel:{who.platform}:{channel_id}"]
            stopped = await repo.stop_push_targets(keys, self.clock.now())
        return push_replies.qotd_off_reply(stopped)

    def timezones(self, prefix: str, limit: int = 25) -> list[str]:
        """IANA zone names for autocomplete: names starting with the text first, then those with a
        region or city starting with it ('berl' -> Europe/Berlin), then those containing it."""
        if self._zone_names is None:
            self._zone_names = sorted({"UTC"} | {n for n in available_timezones() if "/" in n and not n.startswith("Etc/")})
        needle = prefix.strip().lower().replace(" ", "_")

        def rank(name: str) -> int | None:
            low = name.lower()
            if low.startswith(needle):
                return 0
            if any(part.startswith(needle) for part in low.split("/")):
                return 1
            return 2 if needle in low else None

        ranked = sorted((r, n) for n in self._zone_names if (r := rank(n)) is not None)
        return [n for _, n in ranked[:limit]]
