"""The near-duplicate scan finds questions that ask the same thing in other words."""

from __future__ import annotations

from question_bank.duplicates import near_duplicates, reviewed_pairs, unreviewed
from tests.factories import question


def test_a_reworded_question_is_found_and_a_different_one_is_not(tmp_path):
    original = question(
        "db-cache-library",
        title="Put a cache in front of a library catalogue",
        key_points=["Read the cache first and fill it on a miss", "Delete the key after a write", "Every entry gets a TTL"],
    )
    reworded = question(
        "sd-cache-museum",
        category="system_design",
        topics=("caching",),
        title="Put a cache in front of a museum catalogue",
        key_points=["Every entry gets a TTL", "Read the cache first, fill it on a miss", "Delete the key after each write"],
    )
    different = question(
        "db-wal",
        title="What the write-ahead log does when the power goes out",
        key_points=["Changes reach the log before data files", "Commit waits for the log flush", "Replay from the checkpoint"],
    )
    pairs = near_duplicates([original, different, reworded])
    assert [(p.first, p.second) for p in pairs] == [("db-cache-library", "sd-cache-museum")]
    assert pairs[0].score >= 90
    assert near_duplicates([original]) == []

    reviewed = tmp_path / "reviewed.yaml"
    reviewed.write_text("- pair: [sd-cache-museum, db-cache-library]\n  why: a reviewer judged them different\n")
    assert unreviewed(pairs, reviewed_pairs(reviewed)) == []
    assert unreviewed(pairs, reviewed_pairs(tmp_path / "absent.yaml")) == pairs


def test_the_shipped_bank_has_no_unreviewed_near_duplicates():
    from question_bank.loader import load_bank

    pairs = near_duplicates(load_bank().questions)
    assert unreviewed(pairs, reviewed_pairs()) == []
    assert reviewed_pairs() <= {frozenset((p.first, p.second)) for p in pairs}  # no stale review entries
