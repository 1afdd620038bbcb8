"""The practice flow's day rules on a real database (SQLite file and PostgreSQL): day counters that
agree, skip without paying, undo the last grade, interval labels that tell the truth, a chosen
timezone that survives linking and defaults, and mastery only with evidence."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import pytest
from sqlalchemy import select

from bot.bootstrap import build
from bot.core.errors import InvalidInput, StaleAction
from bot.core.practice import LearnerRef
from bot.settings import Settings
from question_bank.loader import Bank
from storage.models import Card, Learner, Review
from tests.buttons import key, qid
from tests.conftest import make_app
from tests.factories import question
from tests.integration.test_accounts import code_of

ANA = LearnerRef("discord", "100", "", "Ana")
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4


def fields(reply) -> dict[str, str]:
    return {f.name: f.value for f in reply.fields}


async def grade(app, who, reply, rating: int):
    revealed = await app.buttons.press(who, key(reply, "reveal"))
    return await app.buttons.press(who, key(revealed, "grade", rating))


async def card_row(engine, question_id: str) -> dict:
    async with engine.connect() as conn:
        row = (await conn.execute(select(Card).where(Card.question_id == question_id))).one()
    return dict(row._mapping)


async def review_count(engine) -> int:
    async with engine.connect() as conn:
        return len((await conn.execute(select(Review.id))).all())


async def day_counts(app, who) -> tuple[str, str, str]:
    stats = fields(await app.progress.stats(who))
    return stats["Due today"], stats["Seen, not graded"], stats["New today"]


def chart_due(reply) -> int:
    return int(re.search(r"Next 30 days: \*\*(\d+)\*\*", reply.body).group(1))


async def pushed(app, who) -> str | None:
    """The question a daily push would send the learner now."""
    async with app.practice.store.transaction() as repo:
        learner = await app.practice.learner(repo, who)
        picked = await app.practice.daily_question(repo, learner.id, (), None, chosen=None)
    return picked[0].id if picked else None


# Day counters ------------------------------------------------------------------------------------
async def test_a_shown_ungraded_question_is_counted_the_same_way_everywhere(app, clock):
    shown = await app.practice.next_question(ANA, "databases", "senior")
    # Not graded: no schedule, so not due anywhere; it is a new question seen and not graded.
    assert await day_counts(app, ANA) == ("0", "1", "0 of 5")
    nothing = await app.practice.next_question(ANA, reviews_only=True)
    assert nothing.title == "All caught up" and "1 question you saw is not graded yet" in nothing.body
    assert chart_due(await app.progress.chart(ANA)) == 0
    assert await pushed(app, ANA) == qid(shown)  # the push offers the same question, as a new one

    await grade(app, ANA, shown, AGAIN)  # comes back tomorrow
    clock.advance(days=2)
    assert await day_counts(app, ANA) == ("1", "0", "0 of 5")
    assert chart_due(await app.progress.chart(ANA)) == 1
    review = await app.practice.next_question(ANA, reviews_only=True)  # shown, not graded: still due
    assert qid(review) == qid(shown) and "1 day overdue" in review.footer
    assert await day_counts(app, ANA) == ("1", "0", "0 of 5")
    assert qid(await app.practice.next_question(ANA, reviews_only=True)) == qid(shown)
    # The push follows the study plan: one question met this week is under its breadth floor (3), so a
    # new question comes before the due one.
    assert await pushed(app, ANA) not in (qid(shown), None)


# Skip ----------------------------------------------------------------------------------------------
async def test_skipping_uses_no_slot_and_sets_the_question_aside_for_today(engine, clock):
    app = make_app(engine, Bank(tuple(question(f"db-{n}") for n in "xyz")), clock, cap=2)
    first = await app.practice.next_question(ANA)
    assert "(1 of 2 today)" in first.footer
    skipped = await app.buttons.press(ANA, key(first, "skip"))
    assert skipped.title == "Skipped" and skipped.kind == "info"
    assert await day_counts(app, ANA) == ("0", "1", "0 of 2")
    assert (await app.buttons.press(ANA, key(first, "skip"))).title == "Skipped"  # again: nothing more

    second = await app.buttons.press(ANA, key(skipped, "next"))
    assert qid(second) != qid(first) and "(1 of 2 today)" in second.footer  # the slot was given back
    await grade(app, ANA, second, GOOD)
    third = await app.practice.next_question(ANA)  # a fresh one before the one skipped today
    assert qid(third) not in (qid(first), qid(second)) and "(2 of 2 today)" in third.footer
    await app.practice.skip(ANA, key(third, "skip"))
    again = await app.practice.next_question(ANA)  # nothing else is left: the skipped ones again
    assert qid(again) == qid(first) and "skipped earlier today" in again.footer
    await grade(app, ANA, again, GOOD)
    assert (await app.practice.next_question(ANA)).title == "All caught up"  # 2 of 2 graded
    assert await day_counts(app, ANA) == ("0", "1", "2 of 2")

    clock.advance(days=1)  # the next day the skipped question comes first, as a new question
    tomorrow = await app.practice.next_question(ANA)
    assert qid(tomorrow) == qid(third) and "seen before, not graded yet" in tomorrow.footer


async def test_skipping_a_due_review_keeps_it_due_behind_the_others(app, clock):
    first = await app.practice.next_question(ANA, "databases")
    await grade(app, ANA, first, GOOD)
    second = await app.practice.next_question(ANA, "databases")
    await grade(app, ANA, second, GOOD)
    clock.advance(days=30)
    due = await app.practice.next_question(ANA, reviews_only=True)
    await app.practice.skip(ANA, key(due, "skip"))
    assert (await day_counts(app, ANA))[0] == "2"  # skipped is still due
    other = await app.practice.next_question(ANA, reviews_only=True)
    assert qid(other) != qid(due)
    await grade(app, ANA, other, GOOD)
    last = await app.practice.next_question(ANA, reviews_only=True)
    assert qid(last) == qid(due) and "skipped earlier today" in last.footer


async def test_quitting_mid_question_or_a_refused_answer_uses_no_slot(app):
    shown = await app.practice.next_question(ANA)
    with pytest.raises(InvalidInput):
        await app.practice.submit_answer(ANA, key(shown, "answer"), "x" * 5000)
    # The learner walks away; next time the same question is waiting, and no slot was used.
    back = await app.practice.next_question(ANA)
    assert qid(back) == qid(shown) and "(1 of 5 today)" in back.footer
    assert await day_counts(app, ANA) == ("0", "1", "0 of 5")


async def test_a_graded_question_cannot_be_skipped(app, engine):
    shown = await app.practice.next_question(ANA)
    await grade(app, ANA, shown, GOOD)
    before = await card_row(engine, qid(shown))
    with pytest.raises(StaleAction):
        await app.practice.skip(ANA, key(shown, "skip"))
    assert await card_row(engine, qid(shown)) == before


# Undo ----------------------------------------------------------------------------------------------
async def test_undo_restores_the_card_exactly_and_removes_the_review(app, engine, clock):
    shown = await app.practice.next_question(ANA, "databases", "senior")
    await grade(app, ANA, shown, GOOD)
    clock.advance(days=5)
    review = await app.practice.next_question(ANA, reviews_only=True)
    revealed = await app.practice.submit_answer(ANA, key(review, "answer"), "my answer")
    before = await card_row(engine, qid(review))
    graded = await app.buttons.press(ANA, key(revealed, "grade", AGAIN))  # a lapse
    after = await card_row(engine, qid(review))
    assert after["lapses"] == 1 and after["version"] == before["version"] + 1 and after["draft_answer"] is None
    assert await review_count(engine) == 2

    clock.advance(minutes=9)
    undone = await app.buttons.press(ANA, key(graded, "undo"))
    assert undone.title.startswith("Grade undone") and undone.kind == "reveal"
    assert await card_row(engine, qid(review)) == before  # every column, the draft answer included
    assert await review_count(engine) == 1
    assert (await day_counts(app, ANA))[0] == "1"  # due again

    repeated = await app.buttons.press(ANA, key(graded, "undo"))
    assert repeated.title == "Nothing to undo" and "already undone" in repeated.body
    assert await card_row(engine, qid(review)) == before
    # The grade buttons of that version work again (the undo reply carries them too).
    clock.advance(minutes=1)
    regraded = await app.buttons.press(ANA, key(undone, "grade", GOOD))
    assert regraded.title == "Recorded: Solid" and await review_count(engine) == 2

    # The first grade's Undo button (same card version) cannot take back the new grade; its own can.
    regraded_card = await card_row(engine, qid(review))
    stale = await app.buttons.press(ANA, key(graded, "undo"))
    assert stale.title == "Nothing to undo" and await card_row(engine, qid(review)) == regraded_card
    assert await review_count(engine) == 2
    assert (await app.buttons.press(ANA, key(regraded, "undo"))).title.startswith("Grade undone")
    assert await card_row(engine, qid(review)) == before and await review_count(engine) == 1


async def test_undo_gives_a_new_questions_slot_back(app, engine):
    shown = await app.practice.next_question(ANA)
    graded = await grade(app, ANA, shown, EASY)
    assert (await day_counts(app, ANA))[2] == "1 of 5"
    await app.practice.undo(ANA, key(graded, "undo"))
    assert await day_counts(app, ANA) == ("0", "1", "0 of 5")
    assert qid(await app.practice.next_question(ANA)) == qid(shown)


async def test_a_late_or_superseded_undo_changes_nothing(app, engine, clock):
    first = await app.practice.next_question(ANA)
    graded_first = await grade(app, ANA, first, GOOD)
    second = await app.practice.next_question(ANA)
    graded_second = await grade(app, ANA, second, GOOD)
    snapshot = (await card_row(engine, qid(first)), await card_row(engine, qid(second)))

    superseded = await app.practice.undo(ANA, key(graded_first, "undo"))
    assert superseded.title == "Nothing to undo" and "only your last grade" in superseded.body
    clock.advance(minutes=11)
    late = await app.practice.undo(ANA, key(graded_second, "undo"))
    assert late.title == "Nothing to undo" and "10 minutes" in late.body
    assert (await card_row(engine, qid(first)), await card_row(engine, qid(second))) == snapshot
    assert await review_count(engine) == 2
    with pytest.raises(StaleAction):
        await app.practice.undo(ANA, key(first, "reveal"))  # not an undo key


async def test_concurrent_undo_clicks_undo_once(app, engine):
    shown = await app.practice.next_question(ANA)
    revealed = await app.buttons.press(ANA, key(shown, "reveal"))
    graded = await app.buttons.press(ANA, key(revealed, "grade", GOOD))
    double = await app.buttons.press(ANA, key(revealed, "grade", GOOD))  # a double click keeps the Undo
    assert double.title == "Already recorded" and key(double, "undo") == key(graded, "undo")
    results = await asyncio.gather(*(app.practice.undo(ANA, key(graded, "undo")) for _ in range(4)))
    assert sorted(r.title.startswith("Grade undone") for r in results) == [False, False, False, True]
    assert await review_count(engine) == 0
    assert (await card_row(engine, qid(shown)))["version"] == 0


# Interval labels -----------------------------------------------------------------------------------
def today_of(clock) -> date:
    """The study day of a UTC learner at the test clock's noon."""
    return clock.now().date()


async def test_each_grade_button_shows_the_interval_that_grade_gives_with_fuzz_on(engine, clock):
    """Production fuzz is on: the label must still be exactly what grading gives. Each grade is tried
    in turn on the same card and undone, so all four labels are checked against real grades."""
    settings = Settings(_env_file=None, FSRS_FUZZ=True)
    app = build(settings, bank=Bank((question("db-x"),)), engine=engine, clock=clock)
    shown = await app.practice.next_question(ANA)
    await grade(app, ANA, shown, GOOD)
    for _ in range(1):  # intervals of weeks, where fuzz spreads them over several days
        clock.advance(days=((await card_row(engine, "db-x"))["due"] - today_of(clock)).days)
        await grade(app, ANA, await app.practice.next_question(ANA, reviews_only=True), GOOD)
    clock.advance(days=((await card_row(engine, "db-x"))["due"] - today_of(clock)).days)
    due = await app.practice.next_question(ANA, reviews_only=True)
    revealed = await app.buttons.press(ANA, key(due, "reveal"))
    labels = [a.label for a in revealed.actions if a.key.startswith("grade:")]
    today = today_of(clock)
    shown_days = []
    for rating, label in zip((AGAIN, HARD, GOOD, EASY), labels, strict=True):
        graded = await app.buttons.press(ANA, key(revealed, "grade", rating))
        due_on = (await card_row(engine, "db-x"))["due"]
        assert label.endswith(f"· {(due_on - today).days}d"), (label, due_on)
        assert f"back on {due_on:%a %d %b %Y}" in next(a.hint for a in revealed.actions if a.label == label)
        shown_days.append((due_on - today).days)
        await app.buttons.press(ANA, key(graded, "undo"))
    assert shown_days == sorted(shown_days) and shown_days[-1] > 20


# Timezone ------------------------------------------------------------------------------------------
async def test_a_default_zone_never_replaces_one_the_linked_learner_chose(app, engine):
    bob = LearnerRef("console", "bob", "", "bob")
    await app.practice.set_timezone(ANA, "Asia/Tokyo")
    await app.accounts.link(bob, code_of(await app.accounts.link_code(ANA)))
    assert not await app.practice.adopt_timezone(bob, "UTC")  # bob's machine zone, at start-up
    async with engine.connect() as conn:
        zones = (await conn.execute(select(Learner.timezone).where(Learner.merged_into.is_(None)))).scalars().all()
    assert zones == ["Asia/Tokyo"]


async def test_a_chosen_zone_wins_a_merge_over_a_guessed_one(app, engine):
    bob = LearnerRef("console", "bob", "", "bob")
    assert await app.practice.adopt_timezone(bob, "UTC")  # guessed from bob's machine
    await app.practice.set_timezone(ANA, "Asia/Tokyo")  # chosen
    await app.accounts.link(ANA, code_of(await app.accounts.link_code(bob)))  # bob's learner is kept
    async with engine.connect() as conn:
        kept = (await conn.execute(select(Learner.timezone, Learner.timezone_chosen).where(Learner.merged_into.is_(None)))).one()
    assert tuple(kept) == ("Asia/Tokyo", True)
    await app.practice.set_timezone(bob, "Europe/Berlin")  # only another choice changes it
    async with engine.connect() as conn:
        zones = (await conn.execute(select(Learner.timezone).where(Learner.merged_into.is_(None)))).scalars().all()
    assert zones == ["Europe/Berlin"]


# Mastery -------------------------------------------------------------------------------------------
async def test_mastery_waits_for_evidence_and_the_weakest_topic_is_the_one_missed(app, clock):
    missed = await app.practice.next_question(ANA, "databases", "senior")  # replication-lag
    await grade(app, ANA, missed, AGAIN)
    solid = await app.practice.next_question(ANA, "system_design", "mid")  # caching
    await grade(app, ANA, solid, GOOD)
    stats = await app.progress.stats(ANA)
    topics = fields(stats)["Mastery by topic (weakest first)"].splitlines()
    assert topics == [
        "• Replication lag: too early to tell (1 question, 0 of 1 grade solid)",
        "• Caching: too early to tell (1 question, 1 of 1 grade solid)",
    ]
    assert "100%" not in fields(stats)["Mastery by category"]
    assert stats.actions[0].key == "topic:replication-lag:0"

    clock.advance(days=1)
    await grade(app, ANA, await app.practice.next_question(ANA, reviews_only=True), GOOD)  # a second review
    clock.advance(days=2)
    topics = fields(await app.progress.stats(ANA))["Mastery by topic (weakest first)"].splitlines()
    assert re.fullmatch(r"• Replication lag: \d+% \(1 question, 1 of 2 grades solid\)", topics[0])
