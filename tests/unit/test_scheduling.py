from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import fsrs
import pytest

from bot.core.scheduling import Rating, Schedule, Scheduler, local_day

GOLDEN = [
    (date(2026, 1, 1), Rating.GOOD),
    (date(2026, 1, 3), Rating.GOOD),
    (date(2026, 1, 14), Rating.AGAIN),
    (date(2026, 1, 15), Rating.GOOD),
]


def test_golden_sequence_matches_fsrs_itself():
    ours = Scheduler(desired_retention=0.9, fuzz=False)
    theirs = fsrs.Scheduler(desired_retention=0.9, learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    schedule = Schedule.new(GOLDEN[0][0])
    card = fsrs.Card(card_id=7, due=datetime(2026, 1, 1, tzinfo=timezone.utc))
    for day, rating in GOLDEN:
        outcome = ours.review(schedule, rating, day)
        schedule = outcome.schedule
        card, _ = theirs.review_card(card, fsrs.Rating(int(rating)), datetime(day.year, day.month, day.day, tzinfo=timezone.utc))
        assert schedule.stability == pytest.approx(card.stability, rel=1e-12)
        assert schedule.difficulty == pytest.approx(card.difficulty, rel=1e-12)
        assert schedule.due == card.due.date()
        assert schedule.state == int(card.state)
        assert outcome.scheduled_days == (card.due.date() - day).days
        assert schedule.last_review == day


def test_golden_sequence_values_are_pinned():
    """fsrs is pinned (6.3.2); if an upgrade shifted these numbers, stored schedules would shift too."""
    s = Scheduler(fuzz=False)
    schedule = Schedule.new(date(2026, 1, 1))
    got = []
    for day, rating in GOLDEN:
        schedule = s.review(schedule, rating, day).schedule
        got.append((schedule.due, round(schedule.stability, 4), round(schedule.difficulty, 4)))
    assert got == [
        (date(2026, 1, 3), 2.3065, 2.1181),
        (date(2026, 1, 14), 10.9643, 2.1112),
        (date(2026, 1, 16), 1.5383, 7.3922),  # Again, no relearning steps: back in two days
        (date(2026, 1, 19), 3.5539, 7.3801),
    ]


def test_intervals_are_whole_days_and_grow_with_good():
    s = Scheduler(fuzz=False)
    schedule = Schedule.new(date(2026, 5, 1))
    day = date(2026, 5, 1)
    intervals = []
    for _ in range(5):
        outcome = s.review(schedule, Rating.GOOD, day)
        intervals.append(outcome.scheduled_days)
        schedule, day = outcome.schedule, outcome.schedule.due
    assert all(i >= 1 for i in intervals)
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0]


def test_easy_schedules_further_than_hard():
    s = Scheduler(fuzz=False)
    day = date(2026, 5, 1)
    first = s.review(Schedule.new(day), Rating.GOOD, day).schedule
    later = first.due
    hard = s.review(first, Rating.HARD, later).scheduled_days
    easy = s.review(first, Rating.EASY, later).scheduled_days
    assert easy > hard


def test_fuzz_on_varies_long_intervals_within_a_few_days():
    fuzzed, plain = Scheduler(fuzz=True), Scheduler(fuzz=False)
    schedule = Schedule(state=2, step=None, stability=60.0, difficulty=5.0, due=date(2026, 3, 1), last_review=date(2026, 1, 1))
    base = plain.review(schedule, Rating.GOOD, date(2026, 3, 1)).scheduled_days
    seen = {fuzzed.review(schedule, Rating.GOOD, date(2026, 3, 1), seed=f"card:{i}").scheduled_days for i in range(200)}
    assert len(seen) > 1
    assert all(abs(days - base) <= max(3, base * 0.1) for days in seen)


def test_fuzz_is_drawn_from_the_seed_so_a_preview_is_what_the_grade_gives():
    s = Scheduler(fuzz=True)
    schedule = Schedule(state=2, step=None, stability=60.0, difficulty=5.0, due=date(2026, 3, 1), last_review=date(2026, 1, 1))
    day = date(2026, 3, 1)
    for seed in ("1:db-a:3", "1:db-a:4", "2:db-a:3"):
        shown = s.preview(schedule, day, seed=seed)
        assert shown == {r: s.review(schedule, r, day, seed=seed).scheduled_days for r in Rating}
        assert shown == s.preview(schedule, day, seed=seed)  # the same every time


def test_fuzzed_intervals_stay_within_the_range_fsrs_itself_draws_from():
    """Our seeded fuzz and fsrs's own (random) fuzz cover the same intervals."""
    schedule = Schedule(state=2, step=None, stability=30.0, difficulty=5.0, due=date(2026, 3, 1), last_review=date(2026, 2, 1))
    ours = Scheduler(fuzz=True)
    theirs = fsrs.Scheduler(desired_retention=0.9, learning_steps=(), relearning_steps=(), enable_fuzzing=True)
    card = fsrs.Card(card_id=1, state=fsrs.State.Review, step=None, stability=30.0, difficulty=5.0,
                     due=datetime(2026, 3, 1, tzinfo=timezone.utc), last_review=datetime(2026, 2, 1, tzinfo=timezone.utc))
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    theirs_seen = {(theirs.review_card(card, fsrs.Rating.Good, at)[0].due - at).days for _ in range(2000)}
    ours_seen = {ours.review(schedule, Rating.GOOD, date(2026, 3, 1), seed=str(i)).scheduled_days for i in range(2000)}
    assert ours_seen == theirs_seen and len(ours_seen) > 2


@pytest.mark.parametrize(
    ("utc", "zone", "expected"),
    [
        # 03:59 local still belongs to the previous study day; 04:00 starts the new one.
        (datetime(2026, 3, 10, 2, 59, tzinfo=timezone.utc), "Europe/London", date(2026, 3, 9)),
        (datetime(2026, 3, 10, 4, 0, tzinfo=timezone.utc), "Europe/London", date(2026, 3, 10)),
        # Auckland is a calendar day ahead of UTC.
        (datetime(2026, 3, 10, 20, 0, tzinfo=timezone.utc), "Pacific/Auckland", date(2026, 3, 11)),
        # Los Angeles, spring forward (2026-03-08 02:00 -> 03:00): 03:30 PDT is before rollover.
        (datetime(2026, 3, 8, 10, 30, tzinfo=timezone.utc), "America/Los_Angeles", date(2026, 3, 7)),
        (datetime(2026, 3, 8, 11, 0, tzinfo=timezone.utc), "America/Los_Angeles", date(2026, 3, 8)),
        # Los Angeles, fall back (2026-11-01 02:00 -> 01:00): both 01:30s belong to Oct 31's study day.
        (datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc), "America/Los_Angeles", date(2026, 10, 31)),
        (datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc), "America/Los_Angeles", date(2026, 10, 31)),
        (datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc), "America/Los_Angeles", date(2026, 11, 1)),
    ],
)
def test_local_day_rolls_over_at_four_local(utc, zone, expected):
    assert local_day(utc, ZoneInfo(zone), 4) == expected


def test_local_day_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        local_day(datetime(2026, 1, 1), ZoneInfo("UTC"))


def test_retrievability_decays_with_time():
    s = Scheduler(fuzz=False)
    schedule = s.review(Schedule.new(date(2026, 1, 1)), Rating.GOOD, date(2026, 1, 1)).schedule
    assert s.retrievability(Schedule.new(date(2026, 1, 1)), date(2026, 1, 2)) == 0.0
    r1, r30 = s.retrievability(schedule, date(2026, 1, 2)), s.retrievability(schedule, date(2026, 1, 31))
    assert 1.0 >= r1 > r30 > 0.0
