"""The push planner: the same local time every day, across both DST transitions, in UTC."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.pushes import next_push_at, push_instant, wall_to_utc

BERLIN = ZoneInfo("Europe/Berlin")  # 2026: CET->CEST on Mar 29 at 02:00, back on Oct 25 at 03:00
NEW_YORK = ZoneInfo("America/New_York")  # 2026: EST->EDT on Mar 8 at 02:00, back on Nov 1 at 02:00
UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        # Spring forward: 02:30 does not exist; it goes at the end of the gap, 03:00 local.
        (BERLIN, datetime(2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 0)),
        (NEW_YORK, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 0)),
        # Fall back: the time happens twice; it goes once, at the first occurrence (summer time).
        (BERLIN, datetime(2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)),
        (NEW_YORK, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
        # Ordinary days either side.
        (BERLIN, datetime(2026, 3, 28, 2, 30), utc(2026, 3, 28, 1, 30)),
        (NEW_YORK, datetime(2026, 11, 2, 1, 30), utc(2026, 11, 2, 6, 30)),
    ],
)
def test_wall_time_to_utc_across_dst(zone, wall, expected):
    assert wall_to_utc(wall, zone) == expected


def test_a_time_before_the_rollover_belongs_to_the_previous_study_day():
    # With the day rolling over at 04:00, the 01:00 push of study day Mar 2 is on the calendar date Mar 3.
    assert push_instant(date(2026, 3, 2), time(1, 0), BERLIN, 4) == utc(2026, 3, 3, 0, 0)
    assert push_instant(date(2026, 3, 2), time(8, 30), BERLIN, 4) == utc(2026, 3, 2, 7, 30)
    assert push_instant(date(2026, 3, 2), time(1, 0), BERLIN, 0) == utc(2026, 3, 2, 0, 0)


@pytest.mark.parametrize(
    ("zone", "at", "start"),
    [
        (BERLIN, time(8, 30), utc(2026, 3, 20, 12)),
        (BERLIN, time(2, 30), utc(2026, 3, 20, 12)),
        (BERLIN, time(2, 30), utc(2026, 10, 18, 12)),
        (NEW_YORK, time(2, 30), utc(2026, 3, 1, 12)),
        (NEW_YORK, time(1, 30), utc(2026, 10, 25, 12)),
    ],
)
def test_walking_the_plan_day_by_day_keeps_the_local_time_and_pushes_once_a_day(zone, at, start):
    """Plan, 'deliver' at the planned instant, plan again: two weeks around a DST change."""
    now = start
    pushes = []
    for _ in range(14):
        instant = next_push_at(at, zone, now, rollover_hour=4)
        assert instant >= now
        pushes.append(instant)
        now = instant + timedelta(seconds=1)
    local = [p.astimezone(zone) for p in pushes]
    dates = [t.date() for t in local]
    assert dates == [dates[0] + timedelta(days=i) for i in range(14)]  # one per day, none skipped
    shifted = [t for t in local if (t.hour, t.minute) != (at.hour, at.minute)]
    # Only a time swallowed by the spring-forward gap moves, and only to the end of the gap.
    assert all((t.hour, t.minute) == (3, 0) and at == time(2, 30) for t in shifted)
    assert len(shifted) <= 1
    gaps = {(b - a) for a, b in zip(pushes, pushes[1:])}
    assert gaps <= {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25), timedelta(hours=23, minutes=30)}


def test_the_next_push_is_today_until_its_time_has_passed():
    at = time(8, 30)
    assert next_push_at(at, BERLIN, utc(2026, 3, 2, 7, 29), 4) == utc(2026, 3, 2, 7, 30)
    assert next_push_at(at, BERLIN, utc(2026, 3, 2, 7, 30), 4) == utc(2026, 3, 2, 7, 30)
    assert next_push_at(at, BERLIN, utc(2026, 3, 2, 7, 31), 4) == utc(2026, 3, 3, 7, 30)


def test_a_snooze_plans_the_first_push_on_the_day_it_ends():
    at = time(8, 30)
    got = next_push_at(at, BERLIN, utc(2026, 3, 2, 6, 0), 4, not_before=date(2026, 3, 5))
    assert got == utc(2026, 3, 5, 7, 30)
    past = next_push_at(at, BERLIN, utc(2026, 3, 2, 6, 0), 4, not_before=date(2026, 2, 1))
    assert past == utc(2026, 3, 2, 7, 30)
