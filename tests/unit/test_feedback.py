"""The feedback engine: coverage with quoted evidence, negation, the adversarial kinds, the grade scale."""

from __future__ import annotations

import pytest

from bot.core import feedback
from bot.core.feedback import FeedbackEngine, suggested_grade
from bot.core.feedback.engine import load_phrasings
from question_bank.loader import load_bank

ISBN = "db-btree-isbn-lookup"
GOOD = (
    "Right now with no usable index on isbn13 postgres has to do a full table scan, reading all 2.4M rows "
    "for every lookup.\nA b-tree stores the keys sorted in pages, and the tree stays balanced and shallow.\n"
    "I'd make it a unique index since an ISBN should identify one title, so duplicates get rejected.\n"
    "Costs: every insert or update of isbn13 has to maintain the index too, so writes get a bit slower.\n"
    "It won't help '%river%' because there's no prefix to seek on in the sorted order."
)


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def engine(bank):
    return FeedbackEngine.load(bank.questions)


def test_covered_points_quote_the_answer_verbatim(engine, bank):
    q = bank.get(ISBN)
    result = engine.assess(q, GOOD)
    assert {0, 1, 3, 4, 6} <= set(result.covered)
    assert set(result.covered) | set(result.missed) == set(range(len(q.key_points)))
    assert not set(result.covered) & set(result.missed)
    for i in result.covered:
        assert result.evidence[i] and result.evidence[i] in GOOD
    assert "duplicates get rejected" in result.evidence[3]
    assert result.suggested_grade == 3
    assert result.reason.startswith(f"{len(result.covered)} of 7 key points")


def test_a_negated_claim_does_not_cover_the_positive_point(engine, bank):
    q = bank.get(ISBN)
    wrong = GOOD.replace(
        "A b-tree stores the keys sorted in pages, and the tree stays balanced and shallow.",
        "A b-tree does not keep the keys sorted in pages and is never balanced or shallow.",
    )
    assert 1 in engine.assess(q, GOOD).covered
    assert 1 not in engine.assess(q, wrong).covered


def test_a_typo_and_an_abbreviation_still_count(engine, bank):
    q = bank.get(ISBN)
    typo = GOOD.replace("unique index", "uniqe idx").replace("duplicates", "duplicats")
    assert 3 in engine.assess(q, typo).covered


@pytest.mark.parametrize(
    ("make", "flag"),
    [
        (lambda q: "just add an index", feedback.FEW_WORDS),
        (lambda q: "qwhe zxnvb plokij asdfh mnbqw erty uiopl kjhgf zxcvb poiuy", feedback.GIBBERISH),
        (lambda q: q.prompt, feedback.QUESTION_REPEATED),
        (lambda q: "\n".join(q.key_point_texts), feedback.KEY_POINTS_REPEATED),
        (lambda q: "b-tree, index, unique, sequential scan, isbn, writes, disk, trigram", feedback.KEYWORD_LIST),
    ],
)
def test_answers_that_cannot_be_judged_cover_nothing_and_say_why(engine, bank, make, flag):
    q = bank.get(ISBN)
    result = engine.assess(q, make(q))
    assert result.flags == (flag,)
    assert result.covered == () and result.suggested_grade == 1
    assert result.reason.split(".")[0] in feedback.replies.FLAG_REASONS[flag]


def test_a_good_answer_to_another_question_covers_nothing(engine, bank):
    other = bank.get("db-composite-order-ferry-bookings")
    answer = (
        "Put the equality columns first and the range column last: (route_id, sail_date, vehicle_type) lets "
        "query A seek one route and walk the date range, and B filters vehicle_type inside the index. With "
        "sail_date first, A has to walk every route in the range. The nightly manifest C needs its own index "
        "led by sail_date. Two indexes beat one per permutation on a write-heavy table; check with EXPLAIN "
        "(ANALYZE, BUFFERS)."
    )
    assert len(engine.assess(other, answer).covered) >= 4
    assert engine.assess(bank.get(ISBN), answer).covered == ()


@pytest.mark.parametrize(("covered", "total", "grade"), [(0, 6, 1), (1, 6, 1), (2, 6, 2), (4, 6, 3), (5, 6, 4), (6, 6, 4)])
def test_suggested_grade_scale(covered, total, grade):
    assert suggested_grade(covered, total) == grade


def test_phrasings_file_names_shipped_questions_and_key_points(bank):
    for question_id, points in load_phrasings().items():
        q = bank.get(question_id)
        assert q is not None, f"phrasings.yaml: unknown question {question_id}"
        for index, phrasings in points.items():
            assert 0 <= index < len(q.key_points), f"phrasings.yaml: {question_id} has no key point {index}"
            assert phrasings and all(2 <= len(p) <= 120 for p in phrasings)
