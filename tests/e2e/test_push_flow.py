"""A daily push from subscription to the platform and back: the real core on a SQLite file, the
real messengers, the loopback stand-ins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import discord
import pytest

from bot.core.practice import LearnerRef
from bot.core.pushes import PushConfig, Pushes
from bot.core.subscriptions import Subscriptions
from bot.push.discord import DiscordMessenger
from bot.push.slack import SlackMessenger
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.repositories import Store
from tests.conftest import make_practice
from tests.fakes.discord_api import CREATE_MESSAGE, DiscordStandIn
from tests.fakes.slack_api import SlackStandIn

PUSH_TIME = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
async def engine(tmp_path) -> AsyncIterator:
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'push.db'}")
    await upgrade(engine)
    yield engine
    await engine.dispose()


async def drain(pushes: Pushes) -> list[str]:
    statuses = []
    while claims := await pushes.claim_due(50):
        statuses += [await pushes.deliver(c) for c in claims]
    return statuses


async def target_of(engine, who: LearnerRef):
    async with Store(engine).transaction() as repo:
        learner = await repo.learner(who.platform, who.user_id, who.workspace)
        assert learner is not None
        return await repo.push_target(f"dm:{learner.id}")


async def test_discord_push_caches_the_dm_channel_and_closed_dms_pause_it(engine, bank, clock, monkeypatch):
    async with DiscordStandIn() as discord_api:
        monkeypatch.setattr(discord.http.Route, "BASE", discord_api.api_base)
        messenger = await DiscordMessenger.connect(discord_api.token, rate_per_s=40)
        practice = make_practice(engine, bank, clock)
        pushes = Pushes(practice, {"discord": messenger}, PushConfig(worker_id="w"))
        anna = LearnerRef("discord", "1001")
        clock.set(PUSH_TIME)
        await Subscriptions(practice).subscribe(anna, "08:00", "UTC")
        assert await drain(pushes) == ["sent"]
        (posted,) = discord_api.routed(CREATE_MESSAGE)
        assert posted.params["channel_id"] == discord_api.dm_channel("1001")
        assert posted.body["embeds"][0]["title"] and "ipb:reveal:" in str(posted.body["components"])
        assert (await target_of(engine, anna)).channel_id == discord_api.dm_channel("1001")  # cached

        discord_api.closed_dms.add("1001")  # the learner closes their DMs
        clock.advance(days=1)
        assert await drain(pushes) == ["failed"]
        target = await target_of(engine, anna)
        assert target.next_push_at is None and "direct messages" in target.paused_reason
        told = await practice.next_question(anna)
        assert told.notice.startswith("Your daily question is paused: Discord does not let the bot")
        await messenger.close()


async def test_slack_push_goes_to_the_learners_dm_in_their_workspace(engine, bank, clock):
    async with SlackStandIn() as slack_api:
        slack_api.add_user("U1")

        async def token_for(team: str) -> str | None:
            return slack_api.bot_token if team == slack_api.team_id else None

        messenger = SlackMessenger(token_for, base_url=slack_api.base_url)
        practice = make_practice(engine, bank, clock)
        pushes = Pushes(practice, {"slack": messenger}, PushConfig(worker_id="w"))
        sam = LearnerRef("slack", "U1", slack_api.team_id)
        clock.set(PUSH_TIME)
        await Subscriptions(practice).subscribe(sam, "08:00", "UTC", tenant=f"slack:{slack_api.team_id}")
        assert await drain(pushes) == ["sent"]
        (message,) = slack_api.posted(slack_api.dm_channel("U1"))
        assert message.metadata["event_type"] == "ipb_push"
        assert any(e.get("action_id", "").startswith("ipb:reveal:") for b in message.blocks for e in b.get("elements", []))
        slack_api.user_left("U1")
        clock.advance(days=1)
        assert await drain(pushes) == ["failed"]
        assert "no longer active" in (await target_of(engine, sam)).paused_reason
        await messenger.close()
