"""fsrs-rs-python's fit, as the plan uses it: its parameters are FSRS-6's, within py-fsrs 6.3.2's bounds."""

from __future__ import annotations

import random
from datetime import date, timedelta

import fsrs
import fsrs_rs_python

from bot.core.plan.fitting import fit, replay, training_items
from bot.core.scheduling import Scheduler
from storage.plan import HistoryRow

DAY0 = date(2026, 1, 1)


def history(cards: int, reviews: int, seed: int = 3) -> list[HistoryRow]:
    rng = random.Random(seed)
    rows = []
    for card in range(cards):
        day = DAY0
        for _ in range(reviews):
            rating = rng.choices((1, 2, 3, 4), (0.15, 0.15, 0.6, 0.1))[0]
            rows.append(HistoryRow(card, rating, day))
            day += timedelta(days=rng.randint(1, 12))
    return rows


def test_both_libraries_speak_fsrs6_with_the_same_defaults():
    assert len(fsrs_rs_python.DEFAULT_PARAMETERS) == len(fsrs.scheduler.DEFAULT_PARAMETERS) == 21
    for rs, py in zip(fsrs_rs_python.DEFAULT_PARAMETERS, fsrs.scheduler.DEFAULT_PARAMETERS):
        assert abs(rs - py) < 1e-6


def test_training_items_are_every_prefix_ending_a_day_or_more_later():
    rows = [HistoryRow(1, 3, DAY0), HistoryRow(1, 3, DAY0 + timedelta(days=2)), HistoryRow(1, 1, DAY0 + timedelta(days=9)),
            HistoryRow(2, 3, DAY0)]  # fmt: skip
    items = training_items(rows)
    assert [len(i.reviews) for i in items] == [2, 3]
    # the extension shows a review only through its repr
    assert [repr(r) for r in items[-1].reviews] == [
        "FSRSReview { rating: 3, delta_t: 0 }", "FSRSReview { rating: 3, delta_t: 2 }",
        "FSRSReview { rating: 1, delta_t: 7 }",
    ]


def test_nothing_to_learn_from_gives_no_parameters():
    assert fit([HistoryRow(i, 3, DAY0) for i in range(50)]) is None  # every card seen once
    assert fit([]) is None


def test_a_fit_returns_parameters_py_fsrs_accepts_and_replay_uses_them():
    params = fit(history(cards=60, reviews=6))
    assert params is not None and len(params) == 21
    assert params != list(fsrs.scheduler.DEFAULT_PARAMETERS)
    fsrs.Scheduler(parameters=params)  # raises when a weight is out of py-fsrs's bounds
    reviews = [(DAY0, 3), (DAY0 + timedelta(days=3), 3)]
    own, default = replay(Scheduler(fuzz=False, parameters=params), reviews), replay(Scheduler(fuzz=False), reviews)
    assert own.last_review == default.last_review == DAY0 + timedelta(days=3)
    assert own.stability != default.stability
