"""Per-learner FSRS fitting on a generated history, on SQLite and PostgreSQL: the parameters change,
nothing is lost, too little data keeps the defaults, no due date moves into the past, and two
workers never refit the same learner."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import fsrs
from sqlalchemy import select

from bot.core.plan.plan import RefitConfig, Refits
from bot.core.plan.rules import card_schedule
from bot.core.practice import LearnerRef
from bot.core.pushes import PushConfig, Pushes
from bot.core.scheduling import Rating, Scheduler
from bot.push.worker import PushWorker
from storage.models import Card, Review, StudyPlan
from tests.buttons import key, qid
from tests.conftest import make_app
from tests.factories import question
from tests.fakes.messenger import FakeMessenger
from question_bank.loader import Bank

ANA = LearnerRef("console", "ana")
BANK = Bank(tuple(question(f"db-{i}") for i in range(60)))


async def practise(app, clock, days: int, per_day: int, seed: int = 7) -> None:
    """A generated history through the real use cases: a few questions a day, graded by a seeded
    learner who forgets more often the longer a card waited."""
    rng = random.Random(seed)
    for _ in range(days):
        for _ in range(per_day):
            reply = await app.practice.next_question(ANA)
            if reply.kind != "question":
                break
            overdue = "overdue" in reply.footer
            weights = (0.35, 0.2, 0.4, 0.05) if overdue else (0.1, 0.15, 0.6, 0.15)
            rating = rng.choices((1, 2, 3, 4), weights)[0]
            revealed = await app.practice.reveal(ANA, key(reply, "reveal"))
            await app.practice.grade(ANA, key(revealed, "grade", rating))
        clock.advance(days=1)


async def rows(engine, *columns, order=None):
    async with engine.connect() as conn:
        stmt = select(*columns).order_by(order if order is not None else columns[0])
        return [tuple(r) for r in await conn.execute(stmt)]


def refits(app, worker: str, min_reviews: int = 100) -> Refits:
    return Refits(app.practice, RefitConfig(worker_id=worker, min_reviews=min_reviews, refit_every=50))


async def test_a_refit_changes_the_parameters_and_loses_nothing(engine, clock):
    app = make_app(engine, BANK, clock)
    await practise(app, clock, days=30, per_day=6)
    reviews_before = await rows(engine, *Review.__table__.c)
    cards_before = {r[0]: r for r in await rows(engine, Card.id, Card.due, Card.version, Card.reps, Card.question_id)}
    assert len(reviews_before) >= 150

    assert await refits(app, "w1").run_due() == {"fitted": 1}

    plan = (await rows(engine, StudyPlan.fsrs_parameters, StudyPlan.fsrs_version, StudyPlan.fitted_reviews, order=StudyPlan.learner_id))[0]
    params, version, fitted_reviews = plan
    assert version == 1 and fitted_reviews == len(reviews_before)
    assert len(params) == 21 and list(params) != list(fsrs.scheduler.DEFAULT_PARAMETERS)
    fsrs.Scheduler(parameters=params)  # within py-fsrs 6.3.2's bounds: it would raise otherwise
    assert await rows(engine, *Review.__table__.c) == reviews_before  # every review kept as it was
    today = app.practice.today(await learner(app))
    after = {r[0]: r for r in await rows(engine, Card.id, Card.due, Card.version, Card.reps, Card.question_id)}
    assert after.keys() == cards_before.keys()
    moved = 0
    for card_id, (_, due, version, reps, _qid) in after.items():
        old_due, old_version, old_reps = cards_before[card_id][1:4]
        assert (version, reps) == (old_version, old_reps)  # buttons built before the refit stay valid
        assert due >= min(old_due, today)  # never into the past
        moved += due != old_due
    assert moved > 0

    # The next grade is scheduled with the learner's own parameters.
    reply = await app.practice.next_question(ANA, reviews_only=True)
    async with app.practice.store.transaction() as repo:
        card = await repo.card((await app.practice.learner(repo, ANA)).id, qid(reply))
    revealed = await app.practice.reveal(ANA, key(reply, "reveal"))
    await app.practice.grade(ANA, key(revealed, "grade", 3))
    graded = dict((r[0], r[1]) for r in await rows(engine, Card.question_id, Card.stability))[qid(reply)]
    own = Scheduler(fuzz=False, parameters=params).review(card_schedule(card), Rating.GOOD, today).schedule
    default = Scheduler(fuzz=False).review(card_schedule(card), Rating.GOOD, today).schedule
    assert graded == own.stability != default.stability


async def learner(app):
    async with app.practice.store.transaction() as repo:
        return await app.practice.learner(repo, ANA)


async def test_too_little_data_keeps_the_defaults(engine, clock):
    app = make_app(engine, BANK, clock)
    await practise(app, clock, days=10, per_day=5)
    assert await refits(app, "w1", min_reviews=100).run_due() == {}
    assert await rows(engine, StudyPlan.fsrs_parameters, order=StudyPlan.learner_id) == []
    async with app.practice.store.transaction() as repo:
        scheduler = await app.practice.planner.learner_scheduler(repo, (await app.practice.learner(repo, ANA)).id)
    assert scheduler.parameters == tuple(fsrs.scheduler.DEFAULT_PARAMETERS)


async def test_two_workers_never_refit_the_same_learner(engine, clock):
    app = make_app(engine, BANK, clock)
    await practise(app, clock, days=20, per_day=6)
    one, two = refits(app, "w1"), refits(app, "w2")
    results = await asyncio.gather(one.run_due(), two.run_due())
    assert sum(r.get("fitted", 0) for r in results) == 1
    assert (await rows(engine, StudyPlan.fsrs_version)) == [(1,)]
    # A claim whose worker died is taken over once its lease runs out, and only then.
    clock.advance(days=1)
    await practise(app, clock, days=9, per_day=6)
    now = clock.now()
    async with app.practice.store.transaction() as repo:
        ana = await app.practice.learner(repo, ANA)
        held = await repo.claim_fit(ana.id, now.date(), "dead", now, now + timedelta(minutes=5))
    assert held is not None
    assert await two.run_due() == {}
    clock.advance(minutes=6)
    assert await two.run_due() == {"fitted": 1}
    async with app.practice.store.transaction() as repo:
        assert not await repo.finish_fit(held.id, "dead", "done")  # the dead worker's claim is gone
    assert (await rows(engine, StudyPlan.fsrs_version)) == [(2,)]


async def test_the_push_worker_refits_while_no_push_is_due(engine, clock):
    app = make_app(engine, BANK, clock)
    await practise(app, clock, days=20, per_day=6)
    pushes = Pushes(app.practice, {"discord": FakeMessenger()}, PushConfig(worker_id="w"))
    worker = PushWorker(pushes, refits=refits(app, "w"))
    counts = await asyncio.wait_for(worker.run(asyncio.Event(), once=True), 60)
    assert counts == {"refit fitted": 1}
    assert (await rows(engine, StudyPlan.fsrs_version)) == [(1,)]
