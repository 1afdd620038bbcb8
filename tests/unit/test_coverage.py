"""The coverage map: entries covered by topic and level, count targets, and a map that must resolve."""

from __future__ import annotations

from collections import Counter

import pytest

from question_bank.coverage import (
    CATEGORY_TARGETS,
    LEVEL_TARGET,
    TOTAL_TARGET,
    CoverageMap,
    InvalidCoverageMap,
    check,
    count_shortfalls,
    load_map,
)
from question_bank.loader import Bank
from question_bank.schema import CATEGORIES, LEVELS
from tests.factories import question


def a_map(**entries) -> CoverageMap:
    return CoverageMap.model_validate(
        {
            "schema_version": 1,
            "sources": {"guide": "A public interview guide"},
            "categories": {"databases": [{"entry": "An entry", "seen_in": ["guide"], **e} for e in entries.values()]},
        }
    )


def test_an_entry_is_covered_only_by_all_its_topics_at_a_fitting_level():
    coverage = a_map(
        joins={"id": "joins", "levels": ["junior", "mid"], "topics": ["joins", "query-planning"]},
        wal={"id": "wal", "levels": ["senior"], "topics": ["wal-recovery"]},
    )
    bank = Bank(
        (
            question("db-joins-only", topics=("joins",)),  # lacks query-planning
            question("db-both-senior", level="senior", topics=("joins", "query-planning")),  # wrong level
            question("db-both-mid", topics=("query-planning", "joins", "indexing")),
            question("db-wal-mid", topics=("wal-recovery",)),  # wrong level for the wal entry
            question("sd-wal", category="system_design", level="senior", topics=("caching",)),
        )
    )
    report = check(bank, coverage)
    assert {e.entry.id: e.question_ids for e in report.entries} == {"joins": ("db-both-mid",), "wal": ()}
    assert [e.entry.id for e in report.uncovered] == ["wal"]
    assert not report.ok


def test_count_targets_name_what_is_missing():
    full = Counter({(c, lv): CATEGORY_TARGETS[c] for c in CATEGORIES for lv in LEVELS})
    assert sum(full.values()) >= TOTAL_TARGET and count_shortfalls(full) == []
    short = full.copy()
    short[("backend", "staff")] = LEVEL_TARGET - 3
    assert count_shortfalls(short) == [f"backend staff: {LEVEL_TARGET - 3} of {LEVEL_TARGET} (3 missing)"]
    assert count_shortfalls(Counter({("databases", "mid"): 10}))[0] == f"total: 10 of {TOTAL_TARGET} questions ({TOTAL_TARGET - 10} missing)"


def test_a_map_with_unknown_topics_or_sources_is_rejected():
    with pytest.raises(ValueError, match="unknown topic gardening"):
        a_map(x={"id": "x", "levels": ["mid"], "topics": ["gardening"]})
    with pytest.raises(ValueError, match="unknown source nowhere"):
        a_map(x={"id": "x", "levels": ["mid"], "topics": ["joins"], "seen_in": ["nowhere"]})
    with pytest.raises(ValueError, match="listed twice"):
        a_map(x={"id": "x", "levels": ["mid"], "topics": ["joins"]}, y={"id": "x", "levels": ["mid"], "topics": ["nulls"]})


def test_the_shipped_map_loads_and_names_its_sources(tmp_path):
    coverage = load_map()
    assert set(coverage.categories) == set(CATEGORIES)
    assert all(len(entries) >= 25 for entries in coverage.categories.values())
    used = {s for entries in coverage.categories.values() for e in entries for s in e.seen_in}
    assert used == set(coverage.sources)  # every source is used, every entry says where it was seen
    broken = tmp_path / "coverage.yaml"
    broken.write_text("schema_version: 1\nsources: {}\ncategories: {databases: [{id: x}]}\n")
    with pytest.raises(InvalidCoverageMap, match="coverage.yaml"):
        load_map(broken)


def test_the_shipped_bank_covers_the_map_and_meets_every_count_target():
    from question_bank.loader import load_bank

    report = check(load_bank(), load_map())
    assert [f"{e.category}.{e.entry.id}" for e in report.uncovered] == []
    assert report.shortfalls == ()


def test_the_bank_commands_report_and_exit_zero_on_the_shipped_bank(capsys):
    from bot.__main__ import main

    assert main(["bank", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "0 count target(s) missed" in out and "system_design: " in out and "-- " not in out
    assert main(["bank", "duplicates"]) == 0
    assert "0 not reviewed" in capsys.readouterr().out
