"""A 45-minute system-design mock interview on Slack: real slack-bolt (HTTP mode) and the push worker's
Slack messenger against the loopback Slack, with a fake clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.adapters.slack.installs import bot_token_lookup
from bot.push.slack import SlackMessenger
from question_bank.loader import Bank
from storage.models import Mock, Review
from tests.e2e.test_discord_mock import NOTES, booking_design
from tests.e2e.test_slack import LEARNER, Harness, button, header, settings_for, started, text_of
from tests.fakes.slack_requests import block_actions, view_submission


@pytest.fixture
async def harness(engine, clock):
    async with started(engine, clock, Bank((booking_design(),))) as running:
        yield running


async def add_notes(harness: Harness, reply: dict, text: str) -> dict:
    hook = harness.slack.response_url()
    click = block_actions(button(reply, "mnote"), user=LEARNER, channel="C0GENERAL", response_url=hook)
    assert (await harness.send(click))[0] == 200
    await harness.slack.wait_for("views.open")
    modal = harness.slack.opened_views[-1]
    assert (await harness.send(view_submission(modal, {"answer": {"text": text}}, user=LEARNER)))[0] == 200
    return await harness.response(hook)


async def test_a_45_minute_design_mock_on_slack_with_nudges_once_and_a_report(harness, clock, engine):
    settings = settings_for(harness.slack)
    messenger = SlackMessenger(bot_token_lookup(settings, engine), base_url=harness.slack.base_url)
    lease = timedelta(seconds=60)
    try:
        reply = await harness.command("mock system design 45 senior")
        assert header(reply) == "Mock interview · Design seat booking for a coach company"
        assert "5 min left of 5 min" in text_of(reply)
        for name, minutes in (("requirements", 6), ("estimates", 3), ("api", 7), ("high_level", 10),
                              ("deep_dive", 8), ("tradeoffs", 4)):  # fmt: skip
            if name in NOTES:
                reply = await add_notes(harness, reply, NOTES[name])
                assert "Noted." in text_of(reply)
            clock.advance(minutes=minutes)
            if name == "requirements":
                counts = [await harness.app.mocks.wake({"slack": messenger}, worker=w, lease=lease) for w in "ab"]
                assert counts == [{"nudged": 1}, {}]
                (nudge,) = [c.args for c in harness.slack.calls_to("chat.postMessage")]
                assert nudge["channel"] == f"D{LEARNER}" and "Time is up: Clarify requirements" in nudge["text"]
            reply = await harness.click(reply, "mdone")
        assert text_of(reply).startswith("*Interviewer:*")
        while any(e.get("value", "").startswith("mdone:") for b in reply["blocks"] for e in b.get("elements", [])):
            reply = await harness.click(reply, "mdone")
        assert header(reply) == "Mock interview report · System design, senior"
        assert "Clarify requirements: 6 min of 5 min, *over by 1 min*" in text_of(reply)
        recorded = await harness.click(reply, "mgrade", 3)
        assert header(recorded) == "Grade recorded"
        assert header(await harness.click(reply, "mgrade", 2)) == "Already recorded"
        async with engine.connect() as conn:
            assert (await conn.execute(select(Review.rating))).scalars().all() == [3]
            assert (await conn.execute(select(Mock.status))).scalar_one() == "finished"
        history = await harness.dm("mock history")
        assert "System design 45 min (senior) · finished" in str(history["blocks"])
        with pytest.raises(AssertionError):  # a finished mock has no step buttons left
            button(reply, "mdone")
    finally:
        await messenger.close()
