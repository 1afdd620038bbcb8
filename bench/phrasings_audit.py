"""Which of the feedback engine's phrasings are generic: `python -m bench phrasings-audit`.

A phrasing (bot/core/feedback/phrasings.yaml) is another way of stating one key point. It is generic
when it also covers the key points of two or more OTHER questions of the same category, read as an
answer (their key point texts and bank phrasings joined into sentences): then answers to those
questions can tick this key point too. New phrasings should pass this check (their authors ran it while
writing); the ones listed are candidates for rewording. About 40 s for the whole bank.
"""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from question_bank.loader import load_bank

GENERIC_AT = 2  # other questions a phrasing may cover before it counts as generic


def run() -> None:
    from bot.core.feedback import FeedbackEngine
    from bot.core.feedback.engine import Answer, covers

    started = time.perf_counter()
    bank = load_bank()
    engine = FeedbackEngine.load(bank.questions)
    lexicon = engine.matcher.lexicon
    by_category: dict[str, list] = {}
    for q in bank.questions:
        by_category.setdefault(q.category, []).append(q)
    as_answer = {
        q.id: ". ".join([*q.key_point_texts, *(p for kp in q.key_points for p in kp.phrasings)]) for q in bank.questions
    }

    generic: list[tuple[str, int, str, list[str]]] = []
    checked: Counter[str] = Counter()
    for q in bank.questions:
        extra = engine.matcher.phrasings.get(q.id)
        if not extra:
            continue
        prepared = engine.matcher.prepare(q)
        others = [(o.id, Answer(as_answer[o.id], lexicon, prepared)) for o in by_category[q.category] if o.id != q.id]
        for index, phrasings in extra.items():
            for phrasing in phrasings:
                terms = tuple(t for t, _ in lexicon.polar_content(phrasing))
                variant = next((v for v in prepared.points[index] if v.terms == terms), None)
                if variant is None:
                    continue
                checked[q.category] += 1
                hits = [oid for oid, answer in others if covers(answer.best(variant), variant)]
                if len(hits) >= GENERIC_AT:
                    generic.append((q.id, index, phrasing, hits))

    table = Table(title=f"Generic phrasings: cover the key points of >= {GENERIC_AT} other questions of their category")
    for column in ("question", "key point", "phrasing", "other questions (first 3)"):
        table.add_column(column)
    for qid, index, phrasing, hits in generic:
        table.add_row(qid, str(index), phrasing, f"{len(hits)}: {', '.join(hits[:3])}")
    console = Console()
    console.print(table)
    per_category = Counter(bank.get(qid).category for qid, *_ in generic)
    summary = Table(title="Per category")
    for column in ("category", "phrasings checked", "generic"):
        summary.add_column(column, justify="right" if column != "category" else "left")
    for category in sorted(checked):
        summary.add_row(category, str(checked[category]), str(per_category[category]))
    console.print(summary)
    console.print(f"{time.perf_counter() - started:.0f} s")
