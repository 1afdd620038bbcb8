"""The coverage map (coverage.yaml) checked against the bank, and the bank's count targets.

The map lists, per category, what public interview guides and real loops ask about, each entry
mapped to topic ids. An entry is covered when a question of its category carries all of the
entry's topics at one of the entry's levels. `python -m bot bank coverage` prints the report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from question_bank.loader import PACKAGE_DIR, Bank, canonical_topics
from question_bank.schema import CATEGORIES, LEVELS, Category, Level, Question, Slug

COVERAGE_FILE = PACKAGE_DIR / "coverage.yaml"

# What the bank must reach (issue 16): questions in total and per category, and per level in every category.
TOTAL_TARGET = 550
CATEGORY_TARGETS = {"system_design": 150, "databases": 150, "behavioral": 140, "backend": 110}
LEVEL_TARGET = 25

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]


class MapEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    entry: Text  # the topic or question type, in our own words
    levels: Annotated[list[Level], Field(min_length=1)]  # levels at which a covering question fits
    topics: Annotated[list[Slug], Field(min_length=1, max_length=4)]
    seen_in: Annotated[list[Slug], Field(min_length=1)]  # ids from `sources`


class CoverageMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1]
    sources: dict[Slug, Text]
    categories: dict[Category, list[MapEntry]]

    @model_validator(mode="after")
    def _references_resolve(self) -> CoverageMap:
        topics = canonical_topics()
        problems = []
        for category, entries in self.categories.items():
            allowed = topics.get(category, {}).keys() | topics.get("shared", {}).keys()
            ids = Counter(e.id for e in entries)
            problems += [f"{category}: entry {i} is listed twice" for i, n in ids.items() if n > 1]
            for e in entries:
                problems += [f"{category}.{e.id}: unknown topic {t}" for t in e.topics if t not in allowed]
                problems += [f"{category}.{e.id}: unknown source {s}" for s in e.seen_in if s not in self.sources]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class InvalidCoverageMap(Exception):
    pass


def load_map(path: Path = COVERAGE_FILE) -> CoverageMap:
    try:
        return CoverageMap.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise InvalidCoverageMap(f"{path}: {exc}") from None


@dataclass(frozen=True)
class EntryCoverage:
    category: str
    entry: MapEntry
    question_ids: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.question_ids)


@dataclass(frozen=True)
class CoverageReport:
    entries: tuple[EntryCoverage, ...]
    counts: Counter[tuple[str, str]]  # (category, level) -> questions
    shortfalls: tuple[str, ...]  # count targets missed, in words

    @property
    def uncovered(self) -> list[EntryCoverage]:
        return [e for e in self.entries if not e.covered]

    @property
    def ok(self) -> bool:
        return not self.uncovered and not self.shortfalls


def covers(question: Question, category: str, entry: MapEntry) -> bool:
    return question.category == category and question.level in entry.levels and set(entry.topics) <= set(question.topics)


def count_shortfalls(counts: Counter[tuple[str, str]]) -> list[str]:
    missing = []
    total = sum(counts.values())
    if total < TOTAL_TARGET:
        missing.append(f"total: {total} of {TOTAL_TARGET} questions ({TOTAL_TARGET - total} missing)")
    for category in CATEGORIES:
        have = sum(counts[(category, level)] for level in LEVELS)
        if have < CATEGORY_TARGETS[category]:
            missing.append(f"{category}: {have} of {CATEGORY_TARGETS[category]} ({CATEGORY_TARGETS[category] - have} missing)")
        for level in LEVELS:
            if counts[(category, level)] < LEVEL_TARGET:
                missing.append(
                    f"{category} {level}: {counts[(category, level)]} of {LEVEL_TARGET} "
                    f"({LEVEL_TARGET - counts[(category, level)]} missing)"
                )
    return missing


def check(bank: Bank, coverage: CoverageMap) -> CoverageReport:
    entries = tuple(
        EntryCoverage(category, entry, tuple(q.id for q in bank.questions if covers(q, category, entry)))
        for category, category_entries in coverage.categories.items()
        for entry in category_entries
    )
    counts = Counter((q.category, q.level) for q in bank.questions)
    return CoverageReport(entries, counts, tuple(count_shortfalls(counts)))
