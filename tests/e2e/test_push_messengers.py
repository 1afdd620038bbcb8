"""The push Messengers against the loopback stand-ins: real discord.py HTTPClient and slack-sdk
AsyncWebClient, real requests; every assertion is on what the platform received."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import discord
import pytest

from bot.core.actions import ActionKey
from bot.core.ports import DeliveryFailed, Destination
from bot.core.replies import Action, Reply
from bot.push.discord import KEPT_BUCKETS, DiscordMessenger, PushHTTPClient
from bot.push.slack import SlackMessenger
from tests.fakes.discord_api import CREATE_DM, CREATE_MESSAGE, DiscordStandIn
from tests.fakes.slack_api import SlackStandIn

REPLY = Reply(
    title="Question of the day: @everyone design a rate limiter",
    body="Sketch it. <@&1> @here",
    actions=(Action("Reveal key points", ActionKey("reveal", "sd-a", 0).encode(), "primary"),),
    footer="Daily question · sd-a",
)


def dm(user: str, channel: str | None = None, platform: str = "discord", tenant: str | None = None) -> Destination:
    return Destination(platform, "dm", tenant, user, channel)


# Discord ---------------------------------------------------------------------------------------
@pytest.fixture
async def discord_api(monkeypatch) -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn(limit_per_s=20) as standin:
        monkeypatch.setattr(discord.http.Route, "BASE", standin.api_base)
        yield standin


@pytest.fixture
async def to_discord(discord_api) -> AsyncIterator[DiscordMessenger]:
    messenger = await DiscordMessenger.connect(discord_api.token, rate_per_s=18)
    yield messenger
    await messenger.close()


async def test_discord_dm_opens_the_channel_once_and_posts_with_a_nonce(discord_api, to_discord):
    first = await to_discord.send(dm("111"), REPLY, idempotency_key="ipb-1")
    assert first.channel_id == discord_api.dm_channel("111")
    second = await to_discord.send(dm("111", first.channel_id), REPLY, idempotency_key="ipb-2")
    assert second.message_id != first.message_id
    assert len(discord_api.routed(CREATE_DM)) == 1  # the cached channel is used the second time
    body = discord_api.routed(CREATE_MESSAGE)[0].body
    assert (body["nonce"], body["enforce_nonce"]) == ("ipb-1", True)
    assert body["allowed_mentions"] == {"parse": []}  # @everyone in a title pings nobody
    assert body["components"][0]["components"][0]["custom_id"] == "ipb:reveal:sd-a:0"


async def test_discord_resend_after_a_crash_returns_the_first_message(discord_api, to_discord):
    first = await to_discord.send(dm("111"), REPLY, idempotency_key="ipb-7")
    again = await to_discord.send(dm("111", first.channel_id), REPLY, idempotency_key="ipb-7", maybe_sent=True)
    assert again == first
    assert discord_api.messages_per_channel[first.channel_id] == 1


@pytest.mark.parametrize(("setup", "words"), [("closed_dms", "direct messages"), ("unreachable", "no longer shares")])
async def test_discord_closed_or_unreachable_dms_are_permanent(discord_api, to_discord, setup, words):
    getattr(discord_api, setup).add("222")
    with pytest.raises(DeliveryFailed) as failed:
        await to_discord.send(dm("222"), REPLY, idempotency_key="ipb-3")
    assert failed.value.permanent and words in failed.value.reason


async def test_discord_token_reset_after_login_is_refused_credentials_not_a_delivery_failure(discord_api, to_discord):
    from bot.core.ports import CredentialsRefused

    discord_api.token = "reset-in-the-developer-portal"
    with pytest.raises(CredentialsRefused):
        await to_discord.send(dm("111"), REPLY, idempotency_key="ipb-5")


async def test_discord_429_is_waited_out_and_retried(discord_api, to_discord):
    discord_api.force_429(CREATE_MESSAGE, times=2, retry_after=0.05)
    sent = await to_discord.send(dm("111"), REPLY, idempotency_key="ipb-4")
    assert discord_api.rate_limited == 2 and discord_api.messages[sent.message_id]


async def test_discord_pacing_stays_under_the_global_limit(discord_api, to_discord):
    channel = (await to_discord.send(dm("111"), REPLY, idempotency_key="ipb-0")).channel_id
    started = time.monotonic()
    for i in range(30):
        await to_discord.send(dm("111", channel), REPLY, idempotency_key=f"ipb-p{i}")
    assert discord_api.rate_limited == 0  # 18/s against a limit of 20/s
    assert time.monotonic() - started >= 29 / 18 * 0.95


# Slack -----------------------------------------------------------------------------------------
@pytest.fixture
async def slack_api() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn() as standin:
        standin.add_user("U1")
        yield standin


@pytest.fixture
async def to_slack(slack_api) -> AsyncIterator[SlackMessenger]:
    async def token_for(team: str) -> str | None:
        return slack_api.bot_token if team == slack_api.team_id else None

    messenger = SlackMessenger(token_for, base_url=slack_api.base_url, per_channel_s=0.01)
    yield messenger
    await messenger.close()


def slack_dm(stand_in: SlackStandIn, user: str = "U1", channel: str | None = None) -> Destination:
    return dm(user, channel, "slack", f"slack:{stand_in.team_id}")


async def test_slack_dm_opens_the_conversation_and_tags_the_message(slack_api, to_slack):
    sent = await to_slack.send(slack_dm(slack_api), REPLY, idempotency_key="ipb-1")
    assert sent.channel_id == slack_api.dm_channel("U1")
    (message,) = slack_api.posted(sent.channel_id)
    assert message.metadata == {"event_type": "ipb_push", "event_payload": {"delivery_id": "ipb-1"}}
    assert message.blocks and "<!everyone>" not in str(message.blocks) and "<!here>" not in str(message.blocks)
    await to_slack.send(slack_dm(slack_api, channel=sent.channel_id), REPLY, idempotency_key="ipb-2")
    assert len(slack_api.calls_to("conversations.open")) == 1


async def test_slack_resend_finds_the_earlier_message_instead_of_posting_again(slack_api, to_slack):
    first = await to_slack.send(slack_dm(slack_api), REPLY, idempotency_key="ipb-5")
    again = await to_slack.send(slack_dm(slack_api, channel=first.channel_id), REPLY, idempotency_key="ipb-5", maybe_sent=True)
    assert again == first and len(slack_api.posted(first.channel_id)) == 1
    other = await to_slack.send(slack_dm(slack_api, channel=first.channel_id), REPLY, idempotency_key="ipb-6", maybe_sent=True)
    assert other != first and len(slack_api.posted(first.channel_id)) == 2  # never got through: posted now


async def test_slack_resend_to_a_channel_the_app_is_not_in_posts_instead_of_failing(slack_api, to_slack):
    """chat:write.public posts to a public channel without joining it, and then its history is closed."""
    slack_api.fail("conversations.history", "not_in_channel", channel="C7")
    channel = Destination("slack", "channel", f"slack:{slack_api.team_id}", None, "C7")
    sent = await to_slack.send(channel, REPLY, idempotency_key="ipb-8", maybe_sent=True)
    assert sent.channel_id == "C7" and len(slack_api.posted("C7")) == 1


async def test_slack_permanent_failures(slack_api, to_slack):
    slack_api.add_user("U2")
    slack_api.user_left("U2")
    with pytest.raises(DeliveryFailed) as gone:
        await to_slack.send(slack_dm(slack_api, "U2"), REPLY, idempotency_key="ipb-1")
    assert gone.value.permanent and "no longer active" in gone.value.reason
    slack_api.fail("chat.postMessage", "not_in_channel", channel="C9")
    channel = Destination("slack", "channel", f"slack:{slack_api.team_id}", None, "C9")
    with pytest.raises(DeliveryFailed) as left:
        await to_slack.send(channel, REPLY, idempotency_key="ipb-2")
    assert left.value.permanent and "invite it back" in left.value.reason
    with pytest.raises(DeliveryFailed) as uninstalled:
        await to_slack.send(Destination("slack", "dm", "slack:TOTHER", "U1", None), REPLY, idempotency_key="ipb-3")
    assert uninstalled.value.permanent and "removed" in uninstalled.value.reason


async def test_slack_429_is_retried_after_retry_after(slack_api, to_slack):
    slack_api.force_429("chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    sent = await to_slack.send(slack_dm(slack_api), REPLY, idempotency_key="ipb-1")
    assert time.monotonic() - started >= 0.9
    assert len(slack_api.posted(sent.channel_id)) == 1


async def test_slack_server_errors_are_transient(slack_api, to_slack):
    slack_api.fail("chat.postMessage", "internal_error")
    with pytest.raises(DeliveryFailed) as failed:
        await to_slack.send(slack_dm(slack_api), REPLY, idempotency_key="ipb-1")
    assert not failed.value.permanent


async def test_discord_rate_limit_memory_stays_small_in_a_fan_out_to_many_channels():
    """discord.py keeps a bucket per channel and scans them all for each new one past 256."""
    http = PushHTTPClient(asyncio.get_running_loop())
    for channel in range(3000):
        http.get_ratelimit(f"POST /channels/{{channel_id}}/messages:{channel}")
    assert len(http._buckets) <= KEPT_BUCKETS
    assert f"POST /channels/{{channel_id}}/messages:{2999}" in http._buckets  # the newest stay
