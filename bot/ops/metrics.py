"""The process's Prometheus metrics (prometheus-client), in a registry of its own: nothing global.

Recorded at the boundaries, never inside a use case: the adapters time and count each interaction,
the push worker counts deliveries and their lag, Store reports database failures, and the core tells
its Observer port when a review is recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Tracked:
    """One interaction being handled: the translation point marks it failed."""

    failed = False

    def fail(self) -> None:
        self.failed = True


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.interactions = Counter(
            "ipb_interactions", "Interactions handled (commands, buttons, forms).", ["platform", "command"], registry=r
        )
        self.interactions_failed = Counter(
            "ipb_interactions_failed",
            "Interactions that failed: an unexpected error or the database unavailable.",
            ["platform", "command"],
            registry=r,
        )
        self.latency = Histogram(
            "ipb_interaction_seconds", "From receiving an interaction to its reply sent.", ["platform", "command"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.pushes_delivered = Counter("ipb_pushes_delivered", "Daily pushes delivered.", ["platform"], registry=r)
        self.pushes_failed = Counter(
            "ipb_pushes_failed", "Daily pushes given up (permanently, or for the day).", ["platform"], registry=r
        )
        self.pushes_retried = Counter(
            "ipb_pushes_retried", "Daily push attempts that failed and will be retried.", ["platform"], registry=r
        )
        self.push_lag = Histogram(
            "ipb_push_lag_seconds", "How long after its scheduled minute a push was delivered.", ["platform"],
            buckets=LAG_BUCKETS, registry=r,
        )  # fmt: skip
        self.database_errors = Counter(
            "ipb_database_errors", "Database operations that failed because the database was unavailable.", registry=r
        )
        self.reviews = Counter("ipb_reviews_recorded", "FSRS reviews recorded (grades).", ["platform"], registry=r)

    @contextmanager
    def interaction(self, platform: str, command: str) -> Iterator[Tracked]:
        tracked = Tracked()
        start = time.perf_counter()
        try:
            yield tracked
        except BaseException:
            tracked.fail()
            raise
        finally:
            seconds = time.perf_counter() - start
            self.interactions.labels(platform, command).inc()
            self.latency.labels(platform, command).observe(seconds)
            if tracked.failed:
                self.interactions_failed.labels(platform, command).inc()
            log.debug("%s %r %s in %.3f s", platform, command, "failed" if tracked.failed else "handled", seconds)

    # Observer (bot.core.ports) --------------------------------------------------------------------
    def review_recorded(self, platform: str) -> None:
        self.reviews.labels(platform).inc()

    def database_error(self, _error: Exception) -> None:
        self.database_errors.inc()

    def push_finished(self, platform: str, outcome: str, lag_s: float | None = None) -> None:
        """An outcome of Pushes.deliver: sent | retry | failed | skipped | lost."""
        if outcome == "sent":
            self.pushes_delivered.labels(platform).inc()
            if lag_s is not None:
                self.push_lag.labels(platform).observe(max(lag_s, 0.0))
        elif outcome == "retry":
            self.pushes_retried.labels(platform).inc()
        elif outcome == "failed":
            self.pushes_failed.labels(platform).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
