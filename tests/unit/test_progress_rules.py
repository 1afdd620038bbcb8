"""The pure rules behind progress: streaks with freezes, tie ranks, neutral names."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.core.progress import current_streak, preferred_name, ranked
from bot.core.progress_replies import neutral_name
from storage.progress import IdentityName

TODAY = date(2026, 4, 8)


def days(pattern: str) -> set[date]:
    """'x' practised, '.' missed; the last character is today."""
    return {TODAY - timedelta(days=i) for i, c in enumerate(reversed(pattern)) if c == "x"}


@pytest.mark.parametrize(
    ("pattern", "streak", "frozen_days_ago", "today_done"),
    [
        ("", 0, (), False),  # never practised
        ("x", 1, (), True),
        ("xxxx", 4, (), True),
        ("xxx.", 3, (), False),  # today is not over: the run up to yesterday still stands
        ("xx.x", 3, (1,), True),  # one missed day between practised days is forgiven
        ("xx..", 2, (1,), False),  # yesterday missed, today not done yet: still alive...
        ("x...", 0, (), False),  # ...but two missed days in a row end the run
        ("xx..x", 1, (), True),
        ("xxx.xxxxxx.xx", 11, (2, 9), True),  # freezes 7 days apart: both forgiven
        ("xxx.xxxxx.xx", 7, (2,), True),  # 6 days apart: the older miss ends the run
        ("x.xxxxxx", 7, (6,), True),
        ("x.x.", 2, (2,), False),
    ],
)
def test_streak_counts_practised_days_and_forgives_one_miss_a_week(pattern, streak, frozen_days_ago, today_done):
    result = current_streak(days(pattern), TODAY)
    assert result.days == streak
    assert result.frozen == tuple(TODAY - timedelta(days=n) for n in frozen_days_ago)
    assert result.practised_today is today_done


def test_ties_share_a_rank_and_keep_their_order():
    rows = [(7, 5, 30), (3, 5, 12), (9, 5, 12), (4, 2, 40), (1, 2, 40), (8, 1, 1)]
    assert ranked(rows) == [(1, 7, 5, 30), (2, 3, 5, 12), (2, 9, 5, 12), (4, 4, 2, 40), (4, 1, 2, 40), (6, 8, 1, 1)]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Ana", "Ana"),
        ("**@everyone**", "everyone"),
        ("<@123> hi", "123 hi"),
        ("ana_b", "ana b"),
        ("line\nbreak\u200b\u202e", "line break"),
        ("`rm -rf`", "rm -rf"),
        ("", "a learner"),
        ("***", "a learner"),
        ("x" * 50, "x" * 32),
    ],
)
def test_display_names_are_shown_neutral(raw, shown):
    assert neutral_name(raw) == shown


def test_the_name_shown_is_the_one_from_the_tenants_platform():
    ids = [IdentityName(1, "slack", "T1", "ana.slack"), IdentityName(1, "discord", "", "Ana#discord")]
    assert preferred_name(ids, "discord:42") == "Ana#discord"
    assert preferred_name(ids, "slack:T1") == "ana.slack"
    assert preferred_name(ids, "slack:T2") == "ana.slack"  # no identity there: any name beats none
    assert preferred_name([IdentityName(1, "discord", "", " ")], "discord:42") == ""
