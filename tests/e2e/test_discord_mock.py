"""A 45-minute system-design mock interview on Discord: the real discord.py client and the push
worker's Discord messenger against the loopback Discord, with a fake clock. The bot restarts mid-mock
(as a new process would) and a nudging worker dies mid-send; nothing is lost and each nudge arrives once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App, build
from bot.push.discord import DiscordMessenger
from bot.settings import Settings
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.models import Mock, Review
from tests.e2e.test_discord import Running, button, discord_api, embed, interact, standin  # noqa: F401
from tests.factories import question
from tests.fakes.discord_api import CREATE_MESSAGE, DiscordStandIn
from tests.fakes.discord_payloads import click, modal_submit, slash

ALICE = 500000000000000001
NOTES = {
    "requirements": "Riders book seats; 2 million bookings a day; reads dominate; 99.9% availability.",
    "api": "POST /bookings with an idempotency key; GET /trips/{id}/seats; bookings keyed by trip and seat.",
    "high_level": "API servers behind a load balancer, a PostgreSQL primary with replicas, a Redis cache for seat maps.",
    "deep_dive": "A seat hold is a row with a unique constraint on trip and seat, so two riders can never hold one seat.",
    "tradeoffs": "The primary is the bottleneck at peak; shard by trip id later; the cache may show a taken seat briefly.",
}


def booking_design():
    return question(
        "sd-seat-booking", "system_design", "senior", topics=("caching",), time_box_minutes=45,
        title="Design seat booking for a coach company",
        key_points=[
            {"text": "Unique constraint on trip and seat prevents double booking", "level": "mid"},
            {"text": "Idempotency key on the booking request", "level": "mid"},
            {"text": "Seat holds expire after a few minutes", "level": "senior"},
            {"text": "Read replicas or a cache serve the seat map", "level": "mid"},
            {"text": "Shard bookings by trip when one primary is not enough", "level": "staff"},
        ],
        follow_ups=[
            {"question": "What happens to a seat someone holds but never pays for?", "probes": "holds", "key_points": [2]},
            {"question": "How would you grow past one database primary?", "probes": "scale", "key_points": [4]},
            {"question": "How do retries not create two bookings?", "probes": "idempotency", "key_points": [1]},
        ],
    )  # fmt: skip


@pytest.fixture
async def app(tmp_path, clock) -> AsyncIterator[App]:
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(engine)
    yield build(Settings(_env_file=None, FSRS_FUZZ=False), bank=Bank((booking_design(),)), engine=engine, clock=clock)
    await engine.dispose()


@pytest.fixture
async def running(app, discord_api) -> AsyncIterator[Running]:  # noqa: F811
    bot = Running(app, discord_api)
    await bot.start()
    yield bot
    await bot.stop()


def dm_messages(standin: DiscordStandIn) -> list[dict]:
    return [r.response for r in standin.routed(CREATE_MESSAGE)]


async def test_a_45_minute_design_mock_on_discord_with_a_restart_and_a_dying_worker(running, app, clock):
    standin = running.standin
    started = await interact(standin, slash("mock start", ALICE, category="system_design", minutes=45, level="senior"))
    assert embed(started)["title"] == "Mock interview started"
    (first,) = dm_messages(standin)
    assert first["embeds"][0]["title"] == "Mock interview · Design seat booking for a coach company"
    assert "5 min left of 5 min" in first["embeds"][0]["fields"][1]["value"]
    messenger = await DiscordMessenger.connect(standin.token, rate_per_s=40)
    lease = timedelta(seconds=60)
    try:
        message, phase = first, 0
        for name, minutes in (("requirements", 6), ("estimates", 3), ("api", 7), ("high_level", 10),
                              ("deep_dive", 8), ("tradeoffs", 4)):  # fmt: skip
            if name in NOTES:
                form = await standin.interact(click(message, button(message, "mnote"), ALICE, guild_id=None)) or None
                assert form is None
                noted = await interact(
                    standin, modal_submit(button(message, "mnote"), {"answer": NOTES[name]}, ALICE, guild_id=None)
                )
                message = noted.response
            clock.advance(minutes=minutes)
            if name == "requirements":  # a minute over: the push worker's nudge, once, in the DM
                assert (await app.mocks.wake({"discord": messenger}, worker="w1", lease=lease))["nudged"] == 1
                assert (await app.mocks.wake({"discord": messenger}, worker="w2", lease=lease)) == {}
                nudge = dm_messages(standin)[-1]
                assert nudge["embeds"][0]["title"] == "Time is up: Clarify requirements"
            if name == "high_level":  # the bot restarts mid-mock: the buttons it posted still work
                await running.restart()
            message = (await interact(standin, click(message, button(message, "mdone"), ALICE, guild_id=None))).response
            phase += 1

        # Probes on the missed points, then the wrap-up; the worker nudging the first probe dies mid-send.
        assert embed_text(message).startswith("**Interviewer:**")
        clock.advance(minutes=3)
        async with app.practice.store.transaction() as repo:  # a worker that claims, then is killed -9
            await repo.claim_mock_wakeups(clock.now(), ["discord"], "killed", clock.now() + lease, 10)
        assert await app.mocks.wake({"discord": messenger}, worker="w2", lease=lease) == {}
        clock.advance(seconds=61)
        assert (await app.mocks.wake({"discord": messenger}, worker="w2", lease=lease))["nudged"] == 1
        titles = [m["embeds"][0]["title"] for m in dm_messages(standin)]
        assert titles.count("Time is up: Follow-up 1") == 1
        while "mdone" in " ".join(c["custom_id"] for row in message.get("components", []) for c in row["components"]):
            message = (await interact(standin, click(message, button(message, "mdone"), ALICE, guild_id=None))).response
        report = message
        assert report["embeds"][0]["title"] == "Mock interview report · System design, senior"
        fields = {f["name"]: f["value"] for f in report["embeds"][0]["fields"]}
        assert "Clarify requirements: 6 min of 5 min, **over by 1 min**" in fields["Time per step"]
        assert "Estimates (where they matter): 3 min of 3 min (no notes)" in fields["Time per step"]
        assert "Follow-up 1: 4 min of 2 min, **over by 2 min** (no notes)" in fields["Time per step"]
        confirm = button(report, "mgrade", 3)
        recorded = await interact(standin, click(report, confirm, ALICE, guild_id=None))
        assert embed(recorded)["title"] == "Grade recorded"
        again = await interact(standin, click(report, confirm, ALICE, guild_id=None))
        assert embed(again)["title"] == "Already recorded"
        async with app.engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(Review))).scalar_one() == 1
            assert (await conn.execute(select(Mock.status))).scalar_one() == "finished"
        history = await interact(standin, slash("mock history", ALICE))
        assert "System design 45 min (senior) · finished" in embed(history)["description"]
    finally:
        await messenger.close()


def embed_text(message: dict) -> str:
    return message["embeds"][0].get("description", "")


async def test_a_mock_in_a_private_thread_and_a_clear_word_when_threads_are_not_allowed(running, app, clock):
    standin = running.standin
    standin.can_create_threads = False
    refused = await interact(standin, slash("mock start", ALICE, category="system_design", where="thread"))
    assert embed(refused)["title"] == "No private thread here"
    standin.can_create_threads = True
    started = await interact(standin, slash("mock start", ALICE, category="system_design", where="thread"))
    (thread,) = standin.threads.values()
    assert thread["type"] == 12 and thread["members"] == [str(ALICE)]
    assert embed(started)["description"] == f"Your mock interview has started in a private thread: <#{thread['id']}>"
    (step,) = standin.channel_messages(thread["id"])
    assert step["embeds"][0]["title"] == "Mock interview · Design seat booking for a coach company"
    # Reminders go to the thread too.
    messenger = await DiscordMessenger.connect(standin.token, rate_per_s=40)
    try:
        clock.advance(minutes=6)
        assert (await app.mocks.wake({"discord": messenger}, worker="w", lease=timedelta(seconds=60)))["nudged"] == 1
    finally:
        await messenger.close()
    assert [m["embeds"][0]["title"] for m in standin.channel_messages(thread["id"])][-1] == "Time is up: Clarify requirements"
