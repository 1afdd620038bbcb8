"""The push worker loop in process: several workers, one database, a hand-written Messenger."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import select

from bot.core.pushes import PushConfig, Pushes
from bot.push.worker import PushWorker
from storage.models import Delivery
from tests.conftest import make_practice
from tests.factories import seed_dm_targets
from tests.fakes.messenger import FakeMessenger

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


async def test_three_workers_deliver_every_due_push_exactly_once(engine, bank, clock):
    clock.set(NOW)
    users = await seed_dm_targets(engine, 120, due=NOW, zone="UTC", local_time="11:00")
    fake = FakeMessenger()
    workers = [
        PushWorker(Pushes(make_practice(engine, bank, clock), {"discord": fake}, PushConfig(worker_id=f"w{i}")), batch=20)
        for i in range(3)
    ]
    stop = asyncio.Event()
    results = await asyncio.gather(*(w.run(stop, once=True) for w in workers))
    assert sum((r for r in results), Counter()) == Counter(sent=120)
    assert sorted(p.destination.recipient for p in fake.posted) == sorted(users)
    async with engine.connect() as conn:
        statuses = Counter((await conn.execute(select(Delivery.status))).scalars())
    assert statuses == Counter(sent=120)


async def test_a_stopped_worker_finishes_what_it_claimed(engine, bank, clock):
    clock.set(NOW)
    await seed_dm_targets(engine, 40, due=NOW, zone="UTC", local_time="11:00")
    gate = asyncio.Event()

    class SlowMessenger(FakeMessenger):
        async def send(self, *args, **kwargs):
            await gate.wait()
            return await super().send(*args, **kwargs)

    fake = SlowMessenger()
    worker = PushWorker(Pushes(make_practice(engine, bank, clock), {"discord": fake}, PushConfig(worker_id="w")), batch=10)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.3)  # it claims a first batch or two; the sends wait at the gate
    stop.set()  # SIGTERM: stop claiming...
    gate.set()  # ...but deliver what was claimed
    counts = await asyncio.wait_for(running, 10)
    assert 0 < counts["sent"] < 40 and counts == Counter(sent=counts["sent"])
    async with engine.connect() as conn:
        statuses = Counter((await conn.execute(select(Delivery.status))).scalars())
    assert statuses == Counter(sent=counts["sent"])  # nothing left half-done


async def test_a_database_outage_while_claiming_is_waited_out_not_fatal(engine, bank, clock, monkeypatch):
    import bot.push.worker as worker_module

    monkeypatch.setattr(worker_module, "OUTAGE_SLEEP_S", (0.01, 0.05))
    clock.set(NOW)
    await seed_dm_targets(engine, 5, due=NOW, zone="UTC", local_time="11:00")
    fake = FakeMessenger()
    pushes = Pushes(make_practice(engine, bank, clock), {"discord": fake}, PushConfig(worker_id="w"))
    real_claim, failures = pushes.claim_due, [ConnectionRefusedError("database restarting")] * 2

    async def flaky_claim(limit):
        if failures:
            raise failures.pop()
        return await real_claim(limit)

    pushes.claim_due = flaky_claim
    counts = await asyncio.wait_for(PushWorker(pushes).run(asyncio.Event(), once=True), 10)
    assert counts == Counter(sent=5) and not failures


async def test_rejected_credentials_stop_the_worker_instead_of_retrying_every_push(engine, bank, clock):
    from bot.core.ports import CredentialsRefused

    clock.set(NOW)
    await seed_dm_targets(engine, 30, due=NOW, zone="UTC", local_time="11:00")

    class RevokedToken(FakeMessenger):
        async def send(self, *args, **kwargs):
            self.calls += 1
            raise CredentialsRefused("token reset")

    fake = RevokedToken()
    worker = PushWorker(Pushes(make_practice(engine, bank, clock), {"discord": fake}, PushConfig(worker_id="w")),
                        batch=10, concurrency=1)  # fmt: skip
    counts = await asyncio.wait_for(worker.run(asyncio.Event()), 10)  # not `once`: it stops by itself
    assert worker.refused == "token reset" and counts == Counter(refused=1) and fake.calls == 1
    async with engine.connect() as conn:  # nothing recorded as sent or failed: the claims wait for a fix
        statuses = set((await conn.execute(select(Delivery.status))).scalars())
    assert statuses <= {"claimed", "sending"}
