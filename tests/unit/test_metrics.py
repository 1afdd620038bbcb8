"""Every metric the README names is exposed, in Prometheus text format, and moves when recorded."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.metrics import Metrics

NAMES = {
    "ipb_interactions": "counter", "ipb_interactions_failed": "counter", "ipb_interaction_seconds": "histogram",
    "ipb_pushes_delivered": "counter", "ipb_pushes_failed": "counter", "ipb_pushes_retried": "counter",
    "ipb_push_lag_seconds": "histogram", "ipb_database_errors": "counter", "ipb_reviews_recorded": "counter",
}  # fmt: skip


def samples(metrics: Metrics) -> dict:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_metric_is_exposed_with_its_type():
    families = {f.name: f.type for f in text_string_to_metric_families(Metrics().exposition().decode())}
    assert {name: families.get(name) for name in NAMES} == NAMES


def test_recording_moves_the_samples():
    metrics = Metrics()
    with metrics.interaction("discord", "question"):
        pass
    with pytest.raises(RuntimeError), metrics.interaction("discord", "question"):
        raise RuntimeError("boom")
    metrics.push_finished("slack", "sent", 90.0)
    metrics.push_finished("slack", "retry")
    metrics.push_finished("slack", "failed")
    metrics.review_recorded("discord")
    metrics.database_error(Exception())
    got = samples(metrics)
    q = (("command", "question"), ("platform", "discord"))
    assert got[("ipb_interactions_total", q)] == 2 and got[("ipb_interactions_failed_total", q)] == 1
    assert got[("ipb_interaction_seconds_count", q)] == 2
    slack = (("platform", "slack"),)
    assert got[("ipb_pushes_delivered_total", slack)] == 1 and got[("ipb_push_lag_seconds_sum", slack)] == 90.0
    assert got[("ipb_pushes_retried_total", slack)] == 1 and got[("ipb_pushes_failed_total", slack)] == 1
    assert got[("ipb_reviews_recorded_total", (("platform", "discord"),))] == 1
    assert got[("ipb_database_errors_total", ())] == 1
