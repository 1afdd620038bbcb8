"""A learner's own FSRS-6 parameters, fitted from their review history with fsrs-rs-python (the
Rust optimizer: no torch), and a card's memory state replayed under them.

fsrs-rs-python 0.9.3 (fsrs-rs 6.x) and fsrs 6.3.2 (py-fsrs) share one model: FSRS-6, 21 weights in
the same order with the same meaning (w0-w3 initial stabilities, w4-w7 difficulty, w8-w14 recall and
forgetting stability, w15/w16 hard penalty and easy bonus, w17-w19 same-day reviews, w20 the decay
of the forgetting curve), and the same defaults. Reviews here are whole days apart (learning steps
are off), so the fit runs with enable_short_term=False, which keeps w17-w19 as they are. The result
is clipped into py-fsrs's bounds, so `fsrs.Scheduler(parameters=...)` always accepts it.

CPU-bound and bounded by the caller (at most FIT_MAX_REVIEWS reviews): run it off the event loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from itertools import groupby

from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from bot.core.scheduling import Rating, Schedule, Scheduler
from storage.plan import HistoryRow

FIT_MAX_REVIEWS = 20_000  # what one fit reads: a few seconds of one core at most
PARAMETER_COUNT = len(LOWER_BOUNDS_PARAMETERS)  # 21: FSRS-6


def training_items(history: Sequence[HistoryRow]) -> list:
    """fsrs-rs's training set: for each card, every prefix of its reviews that ends in a review a
    day or more after the one before (the last review of a prefix is what the model predicts)."""
    from fsrs_rs_python import FSRSItem, FSRSReview  # the Rust extension loads only where fitting runs

    items = []
    for _card, rows in groupby(history, key=lambda r: r.card_id):
        reviews, last = [], None
        for row in rows:
            delta = 0 if last is None else (row.review_date - last).days
            reviews.append(FSRSReview(rating=row.rating, delta_t=delta))
            last = row.review_date
            if len(reviews) > 1 and delta > 0:
                items.append(FSRSItem(reviews=list(reviews)))
    return items


def fit(history: Sequence[HistoryRow]) -> list[float] | None:
    """Fitted parameters, or None when the history holds nothing to learn from (every card seen once)."""
    from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS

    items = training_items(history)
    if not items:
        return None
    fitted = FSRS(parameters=DEFAULT_PARAMETERS).compute_parameters(items, enable_short_term=False)
    if len(fitted) != PARAMETER_COUNT or not all(math.isfinite(w) for w in fitted):
        return None
    return [min(max(float(w), lo), hi) for w, lo, hi in zip(fitted, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)]


def replay(scheduler: Scheduler, reviews: Sequence[tuple[date, int]]) -> Schedule:
    """A card's memory state after its reviews (day, rating), oldest first, under `scheduler`."""
    state = Schedule.new(reviews[0][0])
    for day, rating in reviews:
        state = scheduler.review(state, Rating(rating), day).schedule
    return state
