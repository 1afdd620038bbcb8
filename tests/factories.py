"""Hand-built questions for tests, independent of the shipped bank's content."""

from __future__ import annotations

from typing import Any

from question_bank.loader import Bank
from question_bank.schema import Question


def question(qid: str, category: str = "databases", level: str = "mid", topics: tuple[str, ...] = ("indexing",), **extra: Any) -> Question:
    data: dict[str, Any] = dict(
        id=qid,
        category=category,
        title=f"Question {qid}",
        prompt=f"A concrete scenario for {qid}: a service with many users and a constraint worth discussing at length.",
        level=level,
        difficulty="medium",
        time_box_minutes=10,
        topics=list(topics),
        key_points=["First key point", "Second key point", "Third key point"],
        follow_ups=[{"question": "Why?", "probes": "reasoning"}, {"question": "What else?", "probes": "breadth"}],
        pitfalls=["A pitfall"],
        hints=["A hint"],
    )
    if category == "behavioral":
        data.update(
            star={k: f"{k} guidance" for k in ("situation", "task", "action", "result", "reflection")},
            listen_for=["Specifics", "Ownership"],
            red_flags=["Blame", "Vagueness"],
        )
    else:
        data["outline"] = ["Step one", "Step two", "Step three"]
    data.update(extra)
    return Question.model_validate(data)


def small_bank() -> Bank:
    return Bank(
        (
            question("db-a", topics=("indexing",)),
            question("db-b", topics=("indexing",)),
            question("db-c", topics=("transactions",)),
            question("db-d", level="senior", topics=("replication-lag",)),
            question("sd-a", category="system_design", topics=("caching",)),
            question("sd-b", category="system_design", level="staff", topics=("consensus",)),
            question("be-a", category="backend", topics=("http",)),
            question("bh-a", category="behavioral", topics=("conflict",)),
        )
    )
