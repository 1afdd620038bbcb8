"""Near-duplicate questions: pairs whose title and key points say nearly the same thing.

Each question becomes one text (title plus key points) and every pair is scored with rapidfuzz's
token-sort ratio (0-100, word order ignored). Pairs at or above the threshold are reported unless
duplicates_reviewed.yaml records that a person read both and judged them different questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz, process, utils

from question_bank.loader import PACKAGE_DIR
from question_bank.schema import Question

REVIEWED_FILE = PACKAGE_DIR / "duplicates_reviewed.yaml"
DEFAULT_THRESHOLD = 64  # calibrated on the shipped bank: real duplicates scored 66-73, distinct pairs below 64


@dataclass(frozen=True)
class Pair:
    score: int
    first: str
    second: str


def comparable_text(question: Question) -> str:
    return " ".join([question.title, *question.key_point_texts])


def near_duplicates(questions: Sequence[Question], threshold: int = DEFAULT_THRESHOLD) -> list[Pair]:
    """Every pair scoring at least `threshold`, highest first."""
    if len(questions) < 2:
        return []
    texts = [comparable_text(q) for q in questions]
    scores = process.cdist(
        texts, texts, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
        score_cutoff=threshold, dtype=np.int32, workers=-1,
    )
    rows, cols = np.nonzero(np.triu(scores, k=1))
    pairs = [Pair(int(scores[i, j]), questions[i].id, questions[j].id) for i, j in zip(rows, cols)]
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))


def reviewed_pairs(path: Path = REVIEWED_FILE) -> set[frozenset[str]]:
    """Pairs a reviewer judged to be different questions (each entry: ids plus the reason)."""
    if not path.exists():
        return set()
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {frozenset(e["pair"]) for e in entries}


def unreviewed(pairs: list[Pair], reviewed: set[frozenset[str]]) -> list[Pair]:
    return [p for p in pairs if frozenset((p.first, p.second)) not in reviewed]
