"""Daily pushes: when each target is due, and the delivery of its question.

A push belongs to one study day of the target's zone (bot.core.scheduling.local_day, rolling over
at the configured hour): a 01:00 push with a 04:00 rollover falls on the next calendar date but
still belongs to the study day before. The plan is always recomputed from the local wall time for
that day, never by adding 24 hours, so it stays at the same local time across DST changes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.core.scheduling import local_day


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
