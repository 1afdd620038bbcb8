"""Daily pushes on a real database (SQLite file and PostgreSQL), with a hand-written Messenger.

The clock is a FixedClock moved by hand; "a worker" is a Pushes instance with its own worker id.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core.actions import ActionKey
from bot.core.ports import DeliveryFailed
from bot.core.practice import LearnerRef
from bot.core.pushes import Claim, PushConfig, Pushes
from bot.core.replies import full_body
from bot.core.subscriptions import Subscriptions
from storage.models import Card, Delivery, Learner, PushTarget
from storage.repositories import Store
from tests.buttons import key, qid
from tests.conftest import make_app, make_practice
from tests.fakes.messenger import Crash, FakeMessenger

UTC = timezone.utc
ANNA = LearnerRef("discord", "1001", display_name="Anna")
ADMIN = LearnerRef("discord", "42")


def at(*args: int, zone: str = "UTC") -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.fixture
def fake() -> FakeMessenger:
    return FakeMessenger()


@pytest.fixture
def practice(engine, bank, clock):
    return make_practice(engine, bank, clock, cap=5)


@pytest.fixture
def subs(practice) -> Subscriptions:
    return Subscriptions(practice)


def worker(practice, fake, name: str = "w1", **config) -> Pushes:
    return Pushes(practice, {"discord": fake, "slack": fake}, PushConfig(worker_id=name, **config))


@pytest.fixture
def pushes(practice, fake) -> Pushes:
    return worker(practice, fake)


async def drain(pushes: Pushes) -> list[str]:
    """Deliver everything due now, as a worker's loop would."""
    statuses: list[str] = []
    for _ in range(100):
        claims = await pushes.claim_due(50)
        if not claims:
            return statuses
        statuses += await asyncio.gather(*(pushes.deliver(c) for c in claims))
    raise AssertionError("pushes kept coming due")


async def rows(engine, model, *where):
    async with engine.connect() as conn:
        return (await conn.execute(select(model.__table__).where(*where))).all()


async def dm_target(engine):
    (target,) = await rows(engine, PushTarget, PushTarget.kind == "dm")
    return target


async def test_a_learner_gets_one_question_at_their_local_time_with_the_usual_flow(subs, pushes, fake, practice, clock):
    clock.set(at(2026, 3, 2, 6, 0, zone="Europe/Berlin"))
    await subs.subscribe(ANNA, "08:30", "Europe/Berlin", ["system_design"])
    assert await drain(pushes) == []  # not yet
    clock.set(at(2026, 3, 2, 8, 30, zone="Europe/Berlin"))
    assert await drain(pushes) == ["sent"]
    (post,) = fake.posted
    assert post.destination.recipient == "1001" and post.destination.kind == "dm"
    reply = post.reply
    assert reply.kind == "question" and qid(reply).startswith("sd-") and "Daily question" in reply.footer
    # The pushed buttons are ordinary ones: reveal and grade feed the learner's own schedule.
    reveal = key(reply, "reveal")
    buttons = make_app(practice.store.engine, practice.catalog.bank, practice.clock).buttons
    revealed = await buttons.press(ANNA, reveal)
    grade = key(revealed, "grade", 3)
    assert (await buttons.press(ANNA, grade)).title == "Recorded: Solid"
    clock.advance(hours=6)
    assert await drain(pushes) == []  # once a day


async def test_the_most_overdue_card_comes_before_a_new_question(subs, pushes, fake, practice, clock):
    clock.set(at(2026, 3, 2, 7, 0))
    first = await practice.next_question(ANNA, "databases")
    revealed = await practice.reveal(ANNA, key(first, "reveal"))
    await practice.grade(ANNA, key(revealed, "grade", 1))
    await subs.subscribe(ANNA, "08:00", "UTC", ["system_design"])  # its categories choose new questions only
    clock.set(at(2026, 3, 18, 7, 0))  # three new questions this week: the plan's breadth floor is met
    for _ in range(3):
        new = await practice.next_question(ANNA)
        assert new.footer.startswith("New question")
        await practice.grade(ANNA, key(await practice.reveal(ANNA, key(new, "reveal")), "grade", 4))
    clock.set(at(2026, 3, 20, 8, 0))
    await drain(pushes)
    pushed = fake.posted[-1].reply
    assert qid(pushed) == qid(first) and "overdue" in pushed.footer
    revealed = await practice.reveal(ANNA, key(pushed, "reveal"))
    await practice.grade(ANNA, key(revealed, "grade", 4))
    clock.advance(days=1)
    await drain(pushes)
    assert qid(fake.posted[-1].reply).startswith("sd-")  # nothing due: a new one from the chosen category


async def test_exactly_once_per_day_whatever_runs_and_however_often(subs, pushes, fake, practice, clock):
    clock.set(at(2026, 3, 2, 7, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    others = [worker(practice, fake, f"w{i}") for i in range(2, 5)]
    for minutes in (0, 1, 30, 600):
        clock.set(at(2026, 3, 2, 8, 0) + timedelta(minutes=minutes))
        await asyncio.gather(drain(pushes), *(drain(w) for w in others))
    assert len(fake.posted) == 1
    clock.set(at(2026, 3, 3, 8, 0))
    await asyncio.gather(drain(pushes), *(drain(w) for w in others))
    assert len(fake.posted) == 2


async def test_a_worker_killed_between_sending_and_recording_does_not_cause_a_second_message(
    subs, practice, fake, engine, clock
):
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    dying, rescuer = worker(practice, fake, "dying"), worker(practice, fake, "rescuer")
    (claim,) = await dying.claim_due(10)
    fake.script.append("crash")  # the platform accepts the message, then the worker is killed
    with pytest.raises(Crash):
        await dying.deliver(claim)
    assert len(fake.posted) == 1
    assert await rescuer.claim_due(10) == []  # the lease still holds
    clock.advance(seconds=61)
    (again,) = await rescuer.claim_due(10)
    assert again.attempts == 1 and again.question_id is not None  # the same question, sent again
    assert await rescuer.deliver(again) == "sent"
    assert len(fake.posted) == 1 and fake.calls == 2  # resent with the same key: the first message came back
    (row,) = await rows(engine, Delivery)
    assert (row.status, row.message_id, row.worker) == ("sent", "M1", "rescuer")


async def test_a_claim_whose_worker_died_before_sending_is_taken_over(subs, practice, fake, clock):
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    dead, alive = worker(practice, fake, "dead"), worker(practice, fake, "alive")
    (claim,) = await dead.claim_due(10)  # ... and never delivers it
    clock.advance(seconds=61)
    assert await drain(alive) == ["sent"]
    assert await dead.deliver(claim) == "lost"  # back from the dead: it may not send any more
    assert len(fake.posted) == 1


async def test_clock_jumps_never_send_the_same_day_twice(subs, pushes, fake, clock):
    clock.set(at(2026, 3, 2, 7, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    clock.set(at(2026, 3, 2, 8, 0))
    await drain(pushes)
    clock.set(at(2026, 3, 2, 6, 0))  # back two hours, and the learner re-subscribes (replans today)
    await subs.subscribe(ANNA, "07:00", "UTC")
    clock.set(at(2026, 3, 2, 7, 30))
    assert await drain(pushes) == []
    clock.set(at(2026, 3, 5, 9, 0))  # forward three days: today only
    assert await drain(pushes) == ["sent"]
    clock.set(at(2026, 3, 4, 9, 0))  # back a day: that day was skipped, not owed
    assert await drain(pushes) == []
    clock.set(at(2026, 3, 5, 12, 0))
    assert await drain(pushes) == []
    assert len(fake.posted) == 2


async def test_catch_up_the_same_day_but_no_back_fill_of_missed_days(subs, pushes, fake, engine, clock):
    clock.set(at(2026, 3, 2, 7, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    clock.set(at(2026, 3, 2, 15, 0))  # no worker ran at 08:00; it is back in the afternoon
    assert await drain(pushes) == ["sent"]
    clock.set(at(2026, 3, 6, 6, 0))  # down for three days, back before today's time
    assert await drain(pushes) == []
    assert (await dm_target(engine)).next_push_at == at(2026, 3, 6, 8, 0)
    clock.set(at(2026, 3, 6, 8, 0))
    assert await drain(pushes) == ["sent"]
    days = sorted(r.local_date for r in await rows(engine, Delivery))
    assert days == [date(2026, 3, 2), date(2026, 3, 6)]


async def test_a_permanent_failure_pauses_and_the_learner_is_told_once(subs, pushes, fake, practice, engine, clock):
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    fake.script.append(DeliveryFailed("Discord refused the direct message (DMs closed)", permanent=True))
    assert await drain(pushes) == ["failed"]
    target = await dm_target(engine)
    assert target.next_push_at is None and "DMs closed" in target.paused_reason
    clock.advance(days=2)
    assert await drain(pushes) == [] and fake.calls == 1  # stopped: no more requests to a closed door
    told = await practice.next_question(ANNA)
    assert "daily question is paused" in told.notice and "DMs closed" in told.notice
    assert told.kind == "question" and "paused" not in told.body  # the question is still there, apart
    assert full_body(told).startswith(f"**{told.notice}**")  # what the learner reads, above the question
    assert (await practice.next_question(ANNA)).notice == ""  # once
    (learner,) = await rows(engine, Learner)
    assert learner.notice is None
    await subs.subscribe(ANNA, "08:00", "UTC")  # fixed: subscribing again resumes
    assert (await dm_target(engine)).paused_reason is None
    clock.set(at(2026, 3, 5, 8, 0))
    assert await drain(pushes) == ["sent"]


async def test_transient_failures_retry_with_backoff_within_the_day(subs, pushes, fake, engine, clock):
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    for _ in range(3):
        fake.script.append(DeliveryFailed("HTTP 503", permanent=False))
    waits = []
    for _ in range(3):
        assert await drain(pushes) == ["retry"]
        (row,) = await rows(engine, Delivery)
        waits.append(row.next_attempt_at - clock.now())
        clock.advance(seconds=waits[-1].total_seconds() - 1)
        assert await drain(pushes) == []  # not before its time
        clock.advance(seconds=1)
    assert waits == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert await drain(pushes) == ["sent"]
    (row,) = await rows(engine, Delivery)
    assert (row.status, row.attempts) == ("sent", 4)


async def test_a_rate_limit_wait_is_honoured_and_giving_up_waits_for_tomorrow(subs, practice, fake, engine, clock):
    pushes = worker(practice, fake, max_attempts=2)
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    fake.script.extend([DeliveryFailed("429", permanent=False, retry_after=300)] * 2)
    assert await drain(pushes) == ["retry"]
    (row,) = await rows(engine, Delivery)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=300)
    clock.advance(seconds=300)
    assert await drain(pushes) == ["failed"]
    assert (await dm_target(engine)).next_push_at == at(2026, 3, 3, 8, 0)
    clock.set(at(2026, 3, 3, 8, 0))
    assert await drain(pushes) == ["sent"]


async def test_retries_stop_at_the_end_of_the_study_day(subs, pushes, fake, engine, clock):
    clock.set(at(2026, 3, 2, 2, 0))
    await subs.subscribe(ANNA, "03:00", "UTC")  # the study day Mar 1 ends at 04:00 on Mar 2
    clock.set(at(2026, 3, 2, 3, 59, 50))
    fake.script.append(DeliveryFailed("HTTP 502", permanent=False))
    assert await drain(pushes) == ["failed"]  # a retry in 30 s would be tomorrow's business
    assert (await dm_target(engine)).next_push_at == at(2026, 3, 3, 3, 0)


async def test_snooze_skips_days_and_keeps_the_schedule(subs, pushes, fake, engine, practice, clock):
    clock.set(at(2026, 3, 2, 7, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    await practice.next_question(ANNA)
    cards_before = await rows(engine, Card)
    await subs.snooze(ANNA, 2)
    for day in (2, 3):
        clock.set(at(2026, 3, day, 9, 0))
        assert await drain(pushes) == []
    assert await rows(engine, Card) == cards_before  # paused, nothing else touched
    clock.set(at(2026, 3, 4, 8, 0))
    assert await drain(pushes) == ["sent"]
    # It picks up by the study plan: the question shown before and never graded is still a new one,
    # and it comes before never-seen ones (the same card, not another).
    footer = fake.posted[0].reply.footer
    assert "New question" in footer and "seen before, not graded yet" in footer
    assert qid(fake.posted[0].reply) == cards_before[0].question_id


async def test_a_channel_gets_a_question_not_posted_there_for_60_days(subs, pushes, fake, bank, engine, clock):
    clock.set(at(2026, 3, 1, 8, 0))
    await subs.qotd_set(ADMIN, tenant="discord:7", channel_id="C1", time="09:00", timezone="UTC", is_admin=True)
    posted = []
    for day in range(len(bank.questions) + 2):
        clock.set(at(2026, 3, 1, 9, 0) + timedelta(days=day))
        assert await drain(pushes) == ["sent"]
        posted.append(qid(fake.posted[-1].reply))
    n = len(bank.questions)
    assert len(set(posted[:n])) == n  # every question once before any repeats
    assert posted[n:] == posted[:2]  # then the ones posted longest ago
    reply = fake.posted[0].reply
    assert reply.private is False and fake.posted[0].destination.channel_id == "C1"
    assert "thread" in reply.body  # discussion goes in the post's thread; grading stays private
    (action,) = reply.actions
    assert ActionKey.parse(action.key).verb == "open"


async def test_a_qotd_click_gives_each_clicker_their_own_flow(subs, pushes, fake, practice, clock):
    clock.set(at(2026, 3, 2, 9, 0))
    await subs.qotd_set(ADMIN, tenant="discord:7", channel_id="C1", time="09:00", timezone="UTC", is_admin=True)
    await drain(pushes)
    (action,) = fake.posted[0].reply.actions
    buttons = make_app(practice.store.engine, practice.catalog.bank, practice.clock).buttons
    for who in (ANNA, LearnerRef("discord", "2002")):
        mine = await buttons.press(who, action.key, tenant="discord:7")
        assert mine.kind == "question" and any(a.key.startswith("reveal:") for a in mine.actions)


async def test_dst_pushes_go_once_a_day_at_the_local_time_both_ways(subs, pushes, fake, clock):
    """Walk the clock in 30-minute steps through both 2026 Berlin changes with a 02:30 subscription."""
    berlin = ZoneInfo("Europe/Berlin")
    for start in (at(2026, 3, 27, 12, 0, zone="Europe/Berlin"), at(2026, 10, 23, 12, 0, zone="Europe/Berlin")):
        clock.set(start)
        await subs.subscribe(ANNA, "02:30", "Europe/Berlin")
        before = len(fake.posted)
        sent_at = []
        t = start
        while t < start + timedelta(days=4):
            clock.set(t)
            if await drain(pushes):
                sent_at.append(t.astimezone(berlin))
            t += timedelta(minutes=30)
        assert len(fake.posted) - before == 4 == len(sent_at)
        assert Counter(s.date() for s in sent_at) == Counter({s.date(): 1 for s in sent_at})
        walls = [(s.hour, s.minute) for s in sent_at]
        if start.month == 3:  # Mar 29 has no 02:30: 03:00 instead
            assert walls == [(2, 30), (3, 0), (2, 30), (2, 30)]
        else:  # Oct 25 has two 02:30s: the first one only
            assert walls == [(2, 30)] * 4
            assert sent_at[1].utcoffset() == timedelta(hours=2)


async def test_nothing_to_send_skips_the_day_quietly(engine, clock, fake):
    from question_bank.loader import Bank
    from tests.factories import question

    practice = make_practice(engine, Bank((question("db-only"),)), clock)
    subs, pushes = Subscriptions(practice), worker(practice, fake)
    clock.set(at(2026, 3, 2, 7, 0))
    await subs.subscribe(ANNA, "08:00", "UTC", ["behavioral"])  # no behavioral questions in this bank
    clock.set(at(2026, 3, 2, 8, 0))
    assert await drain(pushes) == ["skipped"]
    assert fake.posted == [] and (await dm_target(engine)).next_push_at == at(2026, 3, 3, 8, 0)


async def test_claims_survive_a_restart(db_url, bank, clock, fake):
    """A new process (engine, workers) sees the same claims and plans: nothing is kept in memory."""
    from storage.db import engine_for_tests

    clock.set(at(2026, 3, 2, 8, 0))
    engine = engine_for_tests(db_url)
    practice = make_practice(engine, bank, clock)
    await Subscriptions(practice).subscribe(ANNA, "08:00", "UTC")
    (claim,) = await worker(practice, fake, "old").claim_due(10)
    assert isinstance(claim, Claim)
    await engine.dispose()
    engine = engine_for_tests(db_url)
    practice = make_practice(engine, bank, clock)
    clock.advance(seconds=61)
    assert await drain(worker(practice, fake, "new")) == ["sent"]
    assert await drain(worker(practice, fake, "new")) == []
    async with Store(engine).transaction() as repo:
        assert (await repo.push_target(f"dm:{(await repo.learner('discord', '1001')).id}")).next_push_at == at(2026, 3, 3, 8)
    await engine.dispose()


async def test_unsubscribing_while_a_push_is_being_sent_stops_the_next_ones(subs, pushes, fake, engine, clock):
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    (claim,) = await pushes.claim_due(10)
    await subs.unsubscribe(ANNA)  # while the worker holds today's claim
    assert await pushes.deliver(claim) == "sent"
    target = await dm_target(engine)
    assert (target.active, target.next_push_at) == (False, None)
    clock.set(at(2026, 3, 3, 8, 0))
    assert await drain(pushes) == []


async def test_a_full_batch_of_targets_with_nothing_to_send_does_not_hide_the_due_ones(subs, practice, fake, clock):
    clock.set(at(2026, 3, 2, 7, 0))
    snoozers = [LearnerRef("discord", str(2000 + i)) for i in range(5)]
    for who in snoozers:
        await subs.subscribe(who, "07:00", "UTC")
        await subs.snooze(who, 5)  # until Mar 7
    await subs.subscribe(ANNA, "08:00", "UTC")
    clock.set(at(2026, 3, 5, 8, 0))  # the snoozers' old plans come first, and they are still paused today
    pushes = worker(practice, fake)
    async with Store(practice.store.engine).transaction() as repo:  # as if planned before the snooze
        for who in snoozers:
            learner = await repo.learner(who.platform, who.user_id)
            await repo.plan_push((await repo.push_target(f"dm:{learner.id}")).id, at(2026, 3, 2, 7, 0))
    claims = await pushes.claim_due(2)  # two snoozers per look: it must look past them
    assert [c.target.recipient for c in claims] == ["1001"]


async def test_snoozing_a_subscription_paused_by_a_failure_does_not_restart_it(subs, pushes, fake, engine, clock):
    clock.set(at(2026, 3, 2, 8, 0))
    await subs.subscribe(ANNA, "08:00", "UTC")
    fake.script.append(DeliveryFailed("Discord refused the direct message (DMs closed)", permanent=True))
    assert await drain(pushes) == ["failed"]
    await subs.snooze(ANNA, 1)
    assert (await dm_target(engine)).next_push_at is None  # nothing for a worker to look at (or spin on)
    for day in (3, 4, 5):
        clock.set(at(2026, 3, day, 9, 0))
        assert await drain(pushes) == []
    assert fake.calls == 1  # still stopped until the learner subscribes again
