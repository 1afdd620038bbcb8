"""Practice use cases on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.core.actions import ActionKey
from bot.core.errors import InvalidInput, StaleAction, UnknownQuestion
from bot.core.practice import LearnerRef
from bot.core.progress import Progress
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.models import Card, Review
from tests.buttons import key, qid
from tests.conftest import make_practice
from tests.factories import question, small_bank

ALICE = LearnerRef("console", "alice")


async def answer(practice, who, reply, rating: int, tenant: str | None = None):
    revealed = await practice.reveal(who, key(reply, "reveal"), tenant=tenant)
    return await practice.grade(who, key(revealed, "grade", rating), tenant=tenant)


async def count(engine, model) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


async def test_new_questions_respect_the_daily_cap_and_never_repeat(engine, bank, clock):
    practice = make_practice(engine, bank, clock, cap=3)
    served = []
    for _ in range(3):
        reply = await practice.next_question(ALICE)
        assert reply.kind == "question"
        await answer(practice, ALICE, reply, 3)
        served.append(qid(reply))
    assert len(set(served)) == 3
    capped = await practice.next_question(ALICE)
    assert capped.kind == "info" and "new-question limit" in capped.body


async def test_new_questions_spread_across_categories_and_topics(practice):
    seen = []
    for _ in range(4):
        reply = await practice.next_question(ALICE)
        await answer(practice, ALICE, reply, 3)
        seen.append(qid(reply))
    prefixes = {s.split("-")[0] for s in seen}
    assert prefixes == {"db", "sd", "be", "bh"}


async def test_category_and_level_filters(practice):
    reply = await practice.next_question(ALICE, "databases", "senior")
    assert qid(reply) == "db-d"
    with pytest.raises(InvalidInput):
        await practice.next_question(ALICE, "cooking")
    with pytest.raises(InvalidInput):
        await practice.next_question(ALICE, level="wizard")


async def test_empty_category_says_so(engine, clock):
    bank = Bank((question("db-only"),))
    practice = make_practice(engine, bank, clock)
    reply = await practice.next_question(ALICE, "behavioral")
    assert reply.kind == "info" and "seen every question" in reply.body


async def test_due_cards_come_first_best_remembered_first(engine, bank, clock):
    practice = make_practice(engine, bank, clock, cap=3)
    graded = []
    for rating in (3, 1, 3):  # the Again card comes back sooner
        reply = await practice.next_question(ALICE, "databases")
        await answer(practice, ALICE, reply, rating)
        graded.append(qid(reply))
    clock.advance(days=30)  # everything is due now, by different amounts
    order = []
    for _ in range(3):
        reply = await practice.next_question(ALICE, "databases", reviews_only=True)
        assert "overdue" in reply.footer
        order.append(qid(reply))
        await answer(practice, ALICE, reply, 3)
    # Highest predicted recall first (BENCHMARKS.md, study plan): the card graded Again, due soonest and so
    # most overdue, is the most forgotten, and comes last.
    assert order[-1] == graded[1] and order[0] != graded[1]
    assert sorted(order) == sorted(graded)
    done = await practice.next_question(ALICE, "databases", reviews_only=True)
    assert done.kind == "info"  # all graded again: due later


async def test_grade_records_once_and_reports_the_next_date(practice, engine, clock):
    reply = await practice.next_question(ALICE)
    revealed = await practice.reveal(ALICE, key(reply, "reveal"))
    grade_key = key(revealed, "grade", 3)
    first = await practice.grade(ALICE, grade_key)
    assert first.kind == "graded" and "comes back on" in first.body
    again = await practice.grade(ALICE, grade_key)  # double click / retried request
    assert again.title == "Already recorded"
    other = key(revealed, "grade", 1)  # a different rating from the same, now stale, buttons
    repeat = await practice.grade(ALICE, other)
    assert repeat.title == "Already recorded"
    assert await count(engine, Review) == 1


async def test_concurrent_double_submit_records_one_review(practice, engine):
    reply = await practice.next_question(ALICE)
    grade_key = key(await practice.reveal(ALICE, key(reply, "reveal")), "grade", 4)
    results = await asyncio.gather(*(practice.grade(ALICE, grade_key) for _ in range(5)))
    assert sorted(r.kind for r in results) == ["graded", "info", "info", "info", "info"]
    assert await count(engine, Review) == 1


async def test_stale_buttons_change_nothing(practice, engine, clock):
    reply = await practice.next_question(ALICE, "databases", "senior")
    old = await practice.reveal(ALICE, key(reply, "reveal"))
    await practice.grade(ALICE, key(old, "grade", 3))
    clock.advance(days=60)
    fresh = await practice.next_question(ALICE, "databases", "senior")
    assert qid(fresh) == qid(reply)
    new = await practice.reveal(ALICE, key(fresh, "reveal"))
    await practice.grade(ALICE, key(new, "grade", 3))
    # A button from two versions ago that was never used for this version: refused.
    forged = ActionKey("grade", qid(reply), 5, 3).encode()
    with pytest.raises(StaleAction):
        await practice.grade(ALICE, forged)
    with pytest.raises(StaleAction):
        await practice.grade(ALICE, "grade:db-d:not-a-number:3")
    with pytest.raises(StaleAction):
        await practice.grade(ALICE, ActionKey("grade", "db-a", 0, 3).encode())  # never shown to alice
    assert await count(engine, Review) == 2


async def test_written_answer_is_stored_with_the_review(practice, engine):
    reply = await practice.next_question(ALICE)
    answer_key = ActionKey("answer", qid(reply), 0).encode()
    revealed = await practice.submit_answer(ALICE, answer_key, "  Use a composite index.  ")
    assert revealed.kind == "reveal"
    await practice.grade(ALICE, key(revealed, "grade", 2))
    async with engine.connect() as conn:
        stored = (await conn.execute(select(Review.answer_text))).scalar_one()
        draft = (await conn.execute(select(Card.draft_answer))).scalar_one()
    assert stored == "Use a composite index." and draft is None
    with pytest.raises(InvalidInput):
        await practice.submit_answer(ALICE, answer_key, "x" * 5000)


async def test_review_survives_a_restart(db_url, bank, clock):
    engine = engine_for_tests(db_url)
    practice = make_practice(engine, bank, clock)
    reply = await practice.next_question(ALICE)
    grade_key = key(await practice.reveal(ALICE, key(reply, "reveal")), "grade", 3)
    await practice.grade(ALICE, grade_key)
    await engine.dispose()

    engine = engine_for_tests(db_url)  # a new process, as far as the database is concerned
    practice = make_practice(engine, bank, clock)
    assert (await practice.grade(ALICE, grade_key)).title == "Already recorded"
    stats = await Progress(practice).stats(ALICE)
    assert dict((f.name, f.value) for f in stats.fields)["Reviews"].startswith("1 ")
    clock.advance(days=40)
    back = await practice.next_question(ALICE, reviews_only=True)
    assert qid(back) == qid(reply)
    await engine.dispose()


async def test_questions_removed_from_the_bank_keep_their_history(engine, clock):
    full = small_bank()
    practice = make_practice(engine, full, clock)
    reply = await practice.next_question(ALICE, "databases", "senior")
    await answer(practice, ALICE, reply, 3)
    slimmer = Bank(tuple(q for q in full.questions if q.id != "db-d"))
    practice = make_practice(engine, slimmer, clock)
    clock.advance(days=60)
    nxt = await practice.next_question(ALICE, reviews_only=True)
    assert nxt.kind == "info"  # not served: it is gone from the bank
    assert await count(engine, Card) == 1 and await count(engine, Review) == 1
    with pytest.raises(UnknownQuestion):
        await practice.reveal(ALICE, ActionKey("reveal", "db-d", 1).encode())


async def test_learners_are_separate(practice, engine):
    bob = LearnerRef("discord", "123")
    a = await practice.next_question(ALICE, "databases", "senior")
    b = await practice.next_question(bob, "databases", "senior")
    assert qid(a) == qid(b) == "db-d"
    await answer(practice, ALICE, a, 3)
    bob_stats = {f.name: f.value for f in (await Progress(practice).stats(bob)).fields}
    assert bob_stats["Reviews"] == "0 (0 today)"
    graded = await answer(practice, bob, b, 1)  # bob's own card, still at version 0
    assert graded.kind == "graded"
    assert await count(engine, Review) == 2


@pytest.mark.parametrize(
    ("zone", "review_utc"),
    [
        # Auckland: NZDT ends 2026-04-05 03:00 -> 02:00. Reviewed on the local day Apr 3, due Apr 5.
        ("Pacific/Auckland", datetime(2026, 4, 2, 20, 0, tzinfo=timezone.utc)),
        # Los Angeles: PDT starts 2026-03-08 02:00 -> 03:00. Reviewed on the local day Mar 6, due Mar 8.
        ("America/Los_Angeles", datetime(2026, 3, 6, 18, 0, tzinfo=timezone.utc)),
    ],
)
async def test_due_questions_arrive_on_the_learners_own_day_across_dst(engine, clock, zone, review_utc):
    bank = Bank((question("db-x"),))
    practice = make_practice(engine, bank, clock)
    who = LearnerRef("slack", f"U-{zone}", "T1")
    await practice.set_timezone(who, zone)
    clock.set(review_utc)
    reply = await practice.next_question(who)
    graded = await answer(practice, who, reply, 3)
    local_review_day = (review_utc.astimezone(ZoneInfo(zone)) - timedelta(hours=4)).date()
    due_text = graded.body.split("**")[1]
    due = datetime.strptime(due_text.split(" (")[0], "%a %d %b %Y").date()
    assert due > local_review_day
    assert any(dst_changes(zone, local_review_day, due)), "the review interval must span a DST change"
    # Walk the clock in 30-minute steps across the DST change; the card must appear exactly when
    # the learner's local clock passes 04:00 on the due date, and not a minute before.
    tz = ZoneInfo(zone)
    t = review_utc + timedelta(hours=6)
    became_due = None
    while t < review_utc + timedelta(days=(due - local_review_day).days + 2):
        clock.set(t)
        r = await practice.next_question(who, reviews_only=True)
        if r.kind == "question":
            became_due = t.astimezone(tz)
            break
        t += timedelta(minutes=30)
    assert became_due is not None
    assert became_due.date() == due and 4 <= became_due.hour < 5 and became_due.minute < 30


def dst_changes(zone, start, end):
    tz = ZoneInfo(zone)
    day = start
    while day < end:
        nxt = day + timedelta(days=1)
        a = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
        b = datetime(nxt.year, nxt.month, nxt.day, 12, tzinfo=tz).utcoffset()
        yield a != b
        day = nxt


async def test_bad_timezone_is_refused_with_a_clear_message(practice):
    with pytest.raises(InvalidInput) as err:
        await practice.set_timezone(ALICE, "Mars/Olympus_Mons")
    assert "Mars/Olympus_Mons" in err.value.message and "IANA" in err.value.message


async def test_buttons_route_every_verb_and_record_where_a_grade_happened(app, engine):
    buttons = app.buttons
    first = await buttons.press(ALICE, ActionKey("next", "databases", 0).encode(), tenant="discord:1")
    assert first.kind == "question"
    revealed = await buttons.press(ALICE, key(first, "reveal"), tenant="discord:1")
    graded = await buttons.press(ALICE, key(revealed, "grade", 3), tenant="discord:1")
    assert graded.title == "Recorded: Solid"
    opened = await buttons.press(LearnerRef("console", "bob"), ActionKey("open", qid(first), 0).encode())
    assert opened.kind == "question" and qid(opened) == qid(first)
    async with engine.connect() as conn:
        assert (await conn.execute(select(Review.tenant))).scalars().all() == ["discord:1"]
    with pytest.raises(StaleAction):
        await buttons.press(ALICE, "delete:everything:0")
