"""Mock interviews on SQLite and PostgreSQL: a scripted 45-minute system-design round against a
hand-computed report, stale and repeated actions, grades confirmed exactly once, and the worker's
time-up nudges and idle close, exactly once across workers and a worker that dies mid-send.

The report's arithmetic (time per step, probes chosen, level signal) is what is under test here, so
the answers are judged by a hand-written fake engine with obvious rules: an answer covers key point i
when it contains "KP<i>", and a STAR part when it contains "STAR:<part>". The real engine is tested
on its own (tests/unit/test_feedback.py) and end to end in the terminal test.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.errors import InvalidInput, StaleAction
from bot.core.feedback import STAR_PARTS, Assessment, Feedback, StarPart, suggested_grade
from bot.core.mock import IDLE_CLOSE, Mocks, Where
from bot.core.mock.rounds import Report
from bot.core.practice import LearnerRef
from question_bank.loader import Bank
from storage.models import Mock, MockStep, Review
from tests.conftest import make_practice
from tests.factories import question
from tests.fakes.messenger import Crash, FakeMessenger

ANNA = LearnerRef("discord", "42", "", display_name="Anna")
LEVELS6 = ["junior", "mid", "mid", "senior", "senior", "staff"]


class MarkerEngine:
    def assess(self, q, text: str) -> Assessment:
        covered = tuple(i for i in range(len(q.key_points)) if f"KP{i}" in text)
        star = tuple(StarPart(p, f"STAR:{p}" in text, f"STAR:{p}" if f"STAR:{p}" in text else "") for p in STAR_PARTS)
        return Assessment(
            question_id=q.id, total=len(q.key_points), covered=covered,
            missed=tuple(i for i in range(len(q.key_points)) if i not in covered),
            evidence={i: f"KP{i}" for i in covered}, suggested_grade=suggested_grade(len(covered), len(q.key_points)),
            reason="", star=star if q.category == "behavioral" else (),
        )  # fmt: skip


def design(qid: str) -> object:
    return question(
        qid, "system_design", "senior", topics=("caching",), time_box_minutes=45,
        key_points=[{"text": f"Design point {i}", "level": lv} for i, lv in enumerate(LEVELS6)],
        follow_ups=[
            {"question": "How do you keep it fast?", "probes": "p4", "key_points": [4]},
            {"question": "What breaks at ten times the load?", "probes": "p5", "key_points": [5]},
            {"question": "Which API would you expose?", "probes": "p0", "key_points": [0, 1]},
        ],
    )  # fmt: skip


@pytest.fixture
def bank() -> Bank:
    stories = [question(f"bh-story-{i}", "behavioral", "mid", topics=("conflict",)) for i in range(3)]
    return Bank((design("sd-mock-one"), question("db-mock-one", "databases", "mid"), *stories))


@pytest.fixture
def mocks(engine, bank, clock) -> Mocks:
    return Mocks(make_practice(engine, bank, clock), Feedback(MarkerEngine()))


def keys(reply, verb: str) -> str:
    return next(a.key for a in reply.actions if a.key.startswith(verb + ":"))


async def step(mocks: Mocks, reply, clock, *, notes: str = "", after_min: float = 0):
    if notes:
        reply = await mocks.add_notes(ANNA, keys(reply, "mnote"), notes)
    clock.advance(minutes=after_min)
    return await mocks.done(ANNA, keys(reply, "mdone"))


async def test_a_scripted_45_minute_design_round_gives_the_hand_computed_report(mocks, clock, engine):
    r = await mocks.start(ANNA, "system_design", minutes=45, level="senior", where=Where("discord", "42", "D42"))
    assert "Clarify requirements" in r.fields[0].value and "5 min left of 5 min" in r.fields[1].value
    r = await step(mocks, r, clock, notes="Users and KP0 scope", after_min=6)  # requirements: 6 of 5
    r = await step(mocks, r, clock)  # estimates: done at once, no notes
    r = await step(mocks, r, clock, notes="KP1 endpoints", after_min=9)  # API: 9 of 7
    r = await step(mocks, r, clock, notes="KP2 components", after_min=10)
    r = await step(mocks, r, clock, notes="KP3 sharding", after_min=8)
    r = await step(mocks, r, clock, notes="nothing relevant here", after_min=4)
    # Missed: 4 and 5 -> the two follow-ups aimed at them, then the wrap-up (2 min each in 45 min).
    assert r.body == "**Interviewer:** How do you keep it fast?"
    r = await step(mocks, r, clock, notes="KP4 with a cache", after_min=2)
    assert r.body == "**Interviewer:** What breaks at ten times the load?"
    r = await step(mocks, r, clock, notes="I am not sure", after_min=3)
    assert "Wrap-up" in r.fields[0].value
    report = await step(mocks, r, clock, notes="In short: it works", after_min=2)

    assert report.title == "Mock interview report · System design, senior"
    fields = {f.name: f.value for f in report.fields}
    assert fields["Time"] == "44 min of 45 min"
    assert fields["Time per step"].splitlines() == [
        "Clarify requirements: 6 min of 5 min, **over by 1 min**",
        "Estimates (where they matter): skipped (box 3 min)",
        "API and data model: 9 min of 7 min, **over by 2 min**",
        "High-level design: 10 min of 10 min",
        "Deep dive: 8 min of 8 min",
        "Bottlenecks and trade-offs: 4 min of 4 min",
        "Follow-up 1: 2 min of 2 min",
        "Follow-up 2: 3 min of 2 min, **over by 1 min**",
        "Wrap-up: 2 min of 2 min",
    ]
    part = fields["1. Question sd-mock-one"].splitlines()
    assert part[0] == (
        "Covered 5 of 6 key points; showed **senior** signals "
        "(key points covered by level: junior 1/1, mid 2/2, senior 2/2, staff 0/1)."
    )
    assert part[1:] == [
        "✓ Design point 0: “KP0”", "✓ Design point 1: “KP1”", "✓ Design point 2: “KP2”", "✓ Design point 3: “KP3”",
        "✓ Design point 4 (only on a follow-up): “KP4”", "✗ Design point 5 _(staff)_", "Follow-ups answered: 2 of 2.",
        "Suggested grade: **Could teach it**. Confirm it or pick another below.",
    ]  # fmt: skip
    suggested = [a for a in report.actions if "(suggested)" in a.label]
    assert [a.label for a in suggested] == ["Could teach it (suggested)"]

    # Confirmed once, whatever is clicked after.
    confirmed = await mocks.confirm(ANNA, suggested[0].key)
    assert confirmed.title == "Grade recorded"
    again = await mocks.confirm(ANNA, report.actions[0].key)  # "Missed it", after the fact
    assert again.title == "Already recorded" and "Could teach it" in again.body
    async with engine.connect() as conn:
        assert (await conn.execute(select(Review.rating, Review.question_id))).all() == [(4, "sd-mock-one")]
        stored = (await conn.execute(select(Mock.status, Mock.report))).one()
    assert stored.status == "finished" and Report.from_json(stored.report).questions[0].recovered == (4,)

    history = await mocks.history(ANNA)
    assert "System design 45 min (senior) · finished · 5/6 key points · level shown: senior" in history.body


async def test_concurrent_confirmations_record_one_review(mocks, clock, engine):
    r = await mocks.start(ANNA, "databases")
    report = await mocks.stop(ANNA, keys(r, "mstop"))
    grade_keys = [a.key for a in report.actions]
    results = await asyncio.gather(*(mocks.confirm(ANNA, k) for k in grade_keys * 3), return_exceptions=True)
    assert sorted(r.title for r in results if not isinstance(r, Exception))[-1] == "Grade recorded"
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(Review))).scalar_one() == 1


async def test_stale_and_late_actions_change_nothing_and_keep_the_text(mocks, clock, engine):
    r = await mocks.start(ANNA, "databases")
    first_done = keys(r, "mdone")
    nxt = await mocks.done(ANNA, first_done)
    with pytest.raises(StaleAction, match="you moved on"):
        await mocks.done(ANNA, first_done)  # a double click
    with pytest.raises(StaleAction, match="What you wrote, so it is not lost:\nlate words"):
        await mocks.add_notes(ANNA, keys(r, "mnote"), "late words")
    await mocks.stop(ANNA, keys(nxt, "mstop"))
    with pytest.raises(StaleAction, match="has ended"):
        await mocks.add_notes(ANNA, keys(nxt, "mnote"), "after the end")
    with pytest.raises(StaleAction, match="not yours"):
        await mocks.done(LearnerRef("discord", "99", ""), keys(nxt, "mdone"))
    async with engine.connect() as conn:
        notes = (await conn.execute(select(MockStep.notes))).scalars().all()
    assert "late words" not in " ".join(notes) and "after the end" not in " ".join(notes)


async def test_a_behavioral_round_probes_each_storys_weakest_star_part(mocks, clock):
    r = await mocks.start(ANNA, "behavioral")
    assert r.fields[0].value.startswith("1 of 6: Story 1")
    r = await step(mocks, r, clock, notes="STAR:situation STAR:task STAR:action and then it ended", after_min=7)
    assert r.body == "**Interviewer:** What was the result, in numbers? What changed because of what you did?"
    r = await step(mocks, r, clock, notes="STAR:result we cut errors by 40%", after_min=3)
    r = await step(mocks, r, clock, notes="STAR:result STAR:situation STAR:task", after_min=7)
    assert r.body.startswith("**Interviewer:** Walk me through what you personally did")
    report = await mocks.stop(ANNA, keys(r, "mstop"))
    story_one = next(f.value for f in report.fields if f.name.startswith("1. "))
    assert "STAR parts heard: situation, task, action, result." in story_one
    assert "Story 3" in next(f.value for f in report.fields if f.name == "Time per step")


async def test_lengths_and_levels_are_checked(mocks):
    with pytest.raises(InvalidInput, match="30, 45 or 60"):
        await mocks.start(ANNA, "system_design", minutes=50)
    with pytest.raises(InvalidInput, match="lasts 20 minutes"):
        await mocks.start(ANNA, "databases", minutes=45)
    with pytest.raises(InvalidInput, match="not enough"):
        await mocks.start(ANNA, "backend")


async def test_each_time_up_nudge_is_sent_once_across_workers_and_a_worker_that_dies(mocks, clock, engine):
    r = await mocks.start(ANNA, "system_design", minutes=30, where=Where("discord", "42", "D42"))
    fake = FakeMessenger()
    lease = timedelta(seconds=60)
    assert await mocks.wake({"discord": fake}, worker="w1", lease=lease) == {}  # nothing due yet
    clock.advance(seconds=201)  # requirements: 5 min x 30/45 = 200 s
    counts = await asyncio.gather(*(mocks.wake({"discord": fake}, worker=f"w{i}", lease=lease) for i in range(3)))
    assert sum(c["nudged"] for c in counts) == 1
    assert [p.reply.title for p in fake.posted] == ["Time is up: Clarify requirements"]
    assert fake.posted[0].destination.channel_id == "D42"
    clock.advance(seconds=30)
    assert await mocks.wake({"discord": fake}, worker="w1", lease=lease) == {}  # said once for this step

    # The next step's nudge: the first worker dies mid-send; another takes over after the lease, and the
    # platform sees the same idempotency key, so the learner gets one message.
    r = await mocks.done(ANNA, keys(await mocks.current(ANNA), "mdone"))
    clock.advance(seconds=121)  # estimates: 3 min x 30/45 = 120 s
    fake.script.append("crash")
    with pytest.raises(Crash):
        await mocks.wake({"discord": fake}, worker="dies", lease=lease)
    assert await mocks.wake({"discord": fake}, worker="w2", lease=lease) == {}  # its lease still holds
    clock.advance(seconds=61)
    assert (await mocks.wake({"discord": fake}, worker="w2", lease=lease))["nudged"] == 1
    assert [p.reply.title for p in fake.posted] == ["Time is up: Clarify requirements", "Time is up: Estimates (where they matter)"]

    # Left idle past its length: closed once with a partial report, sent to the learner.
    clock.advance(minutes=30)
    clock.advance(seconds=IDLE_CLOSE.total_seconds())
    assert (await mocks.wake({"discord": fake}, worker="w3", lease=lease))["closed"] == 1
    assert fake.posted[-1].reply.title.startswith("Mock interview report")
    assert "closed itself" in fake.posted[-1].reply.body
    assert await mocks.wake({"discord": fake}, worker="w3", lease=lease) == {}
    async with engine.connect() as conn:
        assert (await conn.execute(select(Mock.status))).scalar_one() == "expired"
