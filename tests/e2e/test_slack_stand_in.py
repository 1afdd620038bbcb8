"""The loopback Slack stand-in behaves like Slack for the real slack-sdk client (the pushes worker and
the adapter rely on it): method results, recorded calls, failures, 429s, uploads and downloads."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import SlackStandIn


@pytest.fixture
async def slack():
    async with SlackStandIn() as stand_in:
        yield stand_in


def client(slack: SlackStandIn, **kwargs) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.base_url, **kwargs)


async def test_dm_post_with_metadata_reads_back_from_history(slack):
    slack.add_user("U1", tz="Europe/Berlin", is_admin=True)
    web = client(slack)
    assert (await web.auth_test())["team_id"] == slack.team_id
    dm = (await web.conversations_open(users="U1"))["channel"]["id"]
    meta = {"event_type": "ipb_push", "event_payload": {"delivery": 7}}
    sent = await web.chat_postMessage(channel=dm, text="hi", blocks=[{"type": "divider"}], metadata=meta)
    history = await web.conversations_history(channel=dm, include_all_metadata=True, limit=5)
    assert history["messages"][0]["ts"] == sent["ts"] and history["messages"][0]["metadata"] == meta
    assert "metadata" not in (await web.conversations_history(channel=dm))["messages"][0]
    user = (await web.users_info(user="U1"))["user"]
    assert user["tz"] == "Europe/Berlin" and user["is_admin"]
    assert [c.method for c in slack.calls] == [
        "auth.test", "conversations.open", "chat.postMessage",
        "conversations.history", "conversations.history", "users.info",
    ]  # fmt: skip


async def test_users_who_left_and_missing_channels_fail_like_slack(slack):
    slack.add_user("U1")
    slack.user_left("U1")
    slack.fail("chat.postMessage", "channel_not_found", channel="C404")
    slack.fail("chat.postMessage", "not_in_channel", channel="C403")
    web = client(slack)
    assert (await web.users_info(user="U1"))["user"]["deleted"]
    for channel, error in (("DU1", "account_inactive"), ("C404", "channel_not_found"), ("C403", "not_in_channel")):
        with pytest.raises(SlackApiError) as failed:
            await web.chat_postMessage(channel=channel, text="x")
        assert failed.value.response["error"] == error
    with pytest.raises(SlackApiError, match="user_not_found"):
        await web.users_info(user="U404")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()
    assert slack.posted() == []


async def test_throttle_answers_429_and_the_retry_handler_waits(slack):
    slack.throttle(messages=1, per_seconds=1.0, retry_after=0)
    web = client(slack, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)])
    for _ in range(2):
        await web.chat_postMessage(channel="C1", text="x")
    statuses = [c.status for c in slack.calls_to("chat.postMessage")]
    assert statuses.count(200) == 2 and 429 in statuses
    assert len(slack.posted("C1")) == 2
    slack.force_429("auth.test", retry_after=0)
    with pytest.raises(SlackApiError, match="ratelimited"):
        await client(slack).auth_test()  # no retry handler: the 429 surfaces


async def test_files_upload_v2_and_download_with_the_bot_token(slack):
    web = client(slack)
    done = await web.files_upload_v2(channel="DU1", filename="progress.png", content=b"\x89PNG data", title="Progress")
    stored = slack.files[done["file"]["id"]]
    assert stored.data == b"\x89PNG data" and stored.channels == ["DU1"]
    shared = slack.add_file("mine.yaml", b"questions: []", user="U1")
    info = (await web.files_info(file=shared["id"]))["file"]
    async with aiohttp.ClientSession() as session:
        async with session.get(
            info["url_private_download"], headers={"Authorization": f"Bearer {slack.bot_token}"}
        ) as r:
            assert r.status == 200 and await r.read() == b"questions: []"
        async with session.get(info["url_private_download"]) as r:
            assert r.status == 403


async def test_block_kit_limits_are_refused_like_slack(slack):
    web = client(slack)

    def section(chars: int) -> dict:
        return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * chars}}

    too_much = {
        "msg_blocks_too_long": [section(2400)] * 5 + [section(1)],  # 12,001 characters of text
        "invalid_blocks": [section(1)] * 51,
    }
    for error, blocks in too_much.items():
        with pytest.raises(SlackApiError, match=error):
            await web.chat_postMessage(channel="C1", text="x", blocks=blocks)
    for block in (
        section(3001),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}]},
    ):
        with pytest.raises(SlackApiError, match="invalid_blocks"):
            await web.chat_postMessage(channel="C1", text="x", blocks=[block])
    await web.chat_postMessage(channel="C1", text="t" * 5000, blocks=[section(2400)] * 5)  # 12,000: accepted
    assert len(slack.posted("C1")) == 1 and len(slack.posted("C1")[0].text) == 4000  # text is cut, not refused
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await web.views_publish(user_id="U1", view={"type": "home", "blocks": [section(1)] * 101})
    async with aiohttp.ClientSession() as session:
        async with session.post(slack.response_url(), json={"blocks": [section(2400)] * 6}) as refused:
            assert refused.status == 400 and await refused.text() == "msg_blocks_too_long"
