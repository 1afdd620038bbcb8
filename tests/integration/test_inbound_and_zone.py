"""Event dedupe and timezone adoption, on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.core.inbound import Inbound
from bot.core.practice import LearnerRef
from storage.models import InboundEvent, Learner
from storage.repositories import Store

BOB = LearnerRef("slack", "U1", "T1", "bob")


async def rows(engine, model) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


async def test_an_event_is_claimed_once_even_when_redelivered_concurrently(engine, clock):
    inbound = Inbound(Store(engine), clock)
    results = await asyncio.gather(*(inbound.first_delivery("slack:Ev1") for _ in range(3)))
    assert sorted(results) == [False, False, True]
    assert await inbound.first_delivery("slack:Ev2")
    assert await rows(engine, InboundEvent) == 2


async def test_claims_older_than_a_day_are_pruned(engine, clock):
    inbound = Inbound(Store(engine), clock)
    assert await inbound.first_delivery("slack:old")
    clock.advance(days=1, seconds=1)
    assert await inbound.first_delivery("slack:new")
    async with engine.connect() as conn:
        assert (await conn.execute(select(InboundEvent.key))).scalars().all() == ["slack:new"]


async def test_platform_zone_is_adopted_only_until_the_learner_chooses(engine, practice):
    assert not await practice.adopt_timezone(BOB, "Not/AZone")
    assert await practice.adopt_timezone(BOB, "America/Chicago")
    assert not await practice.adopt_timezone(BOB, "Asia/Tokyo")  # already set
    await practice.set_timezone(BOB, "Europe/Berlin")
    assert not await practice.adopt_timezone(BOB, "Asia/Tokyo")
    async with engine.connect() as conn:
        assert (await conn.execute(select(Learner.timezone))).scalars().all() == ["Europe/Berlin"]
