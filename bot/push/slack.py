"""Daily pushes to Slack over the Web API: slack-sdk's AsyncWebClient, one per workspace token,
429 Retry-After honoured by its rate-limit retry handler, about one message per second per channel.

Slack has no nonce: each push carries message metadata (event_type ipb_push, its idempotency key),
and a resend after an attempt that may have gone through first looks for it in the channel history.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.installs import TokenLookup
from bot.adapters.slack.render import message_payload
from bot.core.ports import DeliveryFailed, Destination, Sent
from bot.core.replies import Reply

EVENT_TYPE = "ipb_push"
GONE_USER = "that Slack account is no longer active in the workspace"
REMOVED = "the app was removed from that Slack workspace"
# Slack errors that mean "this will not work tomorrow either", in words for the learner's notice.
PERMANENT = {
    "user_not_found": GONE_USER,
    "account_inactive": GONE_USER,
    "user_disabled": GONE_USER,
    "cannot_dm_bot": "that Slack user is a bot",
    "messages_tab_disabled": "the app's Messages tab is turned off in that Slack workspace",
    "channel_not_found": "the Slack channel no longer exists",
    "is_archived": "the Slack channel was archived",
    "not_in_channel": "the app is no longer in that Slack channel (invite it back)",
    "invalid_auth": REMOVED,
    "not_authed": REMOVED,
    "token_revoked": REMOVED,
    "team_access_not_granted": REMOVED,
    "team_not_found": REMOVED,
}
HISTORY_LOOKBACK = 100  # messages searched for an earlier attempt of the same push
PACED_CHANNELS = 1000



class SlackMessenger:
    def __init__(self, token_for: TokenLookup, *, base_url: str = AsyncWebClient.BASE_URL, per_channel_s: float = 1.0):
        self._token_for = token_for
        self._base_url = base_url
        self._per_channel_s = per_channel_s
        self._session: aiohttp.ClientSession | None = None
        self._clients: dict[str, AsyncWebClient] = {}  # by token
        self._channels: dict[str, AsyncLimiter] = {}  # by channel id, least recently used first

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _client(self, team: str) -> AsyncWebClient:
        token = await self._token_for(team)
        if token is None:
            raise DeliveryFailed(REMOVED, permanent=True)
        client = self._clients.get(token)
        if client is None:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            client = AsyncWebClient(token=token, base_url=self._base_url, session=self._session)
            client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
            self._clients[token] = client
        return client

    async def send(self, dest: Destination, reply: Reply, *, idempotency_key: str, maybe_sent: bool = False) -> Sent:
        team = (dest.tenant or "").removeprefix("slack:")
        try:
            client = await self._client(team)
            channel = dest.channel_id or await self._dm_channel(client, dest)
            if maybe_sent and (earlier := await self._earlier(client, channel, idempotency_key)) is not None:
                return earlier
            metadata = {"event_type": EVENT_TYPE, "event_payload": {"delivery_id": idempotency_key}}
            async with self._channel_pace(channel):
                posted = await client.chat_postMessage(channel=channel, metadata=metadata, **message_payload(reply))
        except SlackApiError as exc:
            raise self._failure(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"Slack unreachable: {type(exc).__name__}", permanent=False) from exc
        return Sent(str(posted["ts"]), str(posted["channel"]))

    @staticmethod
    async def _dm_channel(client: AsyncWebClient, dest: Destination) -> str:
        """The DM channel with the recipient (the core caches it on the target)."""
        opened = await client.conversations_open(users=dest.recipient)
        return str(opened["channel"]["id"])

    @staticmethod
    async def _earlier(client: AsyncWebClient, channel: str, idempotency_key: str) -> Sent | None:
        """The message an earlier attempt of this push posted, if it got through. A public channel
        the app posts to without being a member (chat:write.public) cannot be read back: post again
        rather than stop that channel's question of the day for good."""
        try:
            history = await client.conversations_history(
                channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        except SlackApiError as exc:
            if exc.response.get("error") == "not_in_channel":
                return None
            raise
        for message in history.get("messages", []):
            metadata: dict[str, Any] = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("delivery_id") == idempotency_key:
                return Sent(str(message["ts"]), channel)
        return None

    def _channel_pace(self, channel: str) -> AsyncLimiter:
        """This channel's pacer. Only recently used channels are remembered: a fan-out to many DMs
        sends one message to each, so an old entry has nothing left to pace."""
        limiter = self._channels.pop(channel, None) or AsyncLimiter(1, self._per_channel_s)
        self._channels[channel] = limiter  # most recently used last
        if len(self._channels) > PACED_CHANNELS:
            del self._channels[next(iter(self._channels))]
        return limiter

    @staticmethod
    def _failure(exc: SlackApiError) -> DeliveryFailed:
        error = str(exc.response.get("error") or "")
        if error in PERMANENT:
            return DeliveryFailed(PERMANENT[error], permanent=True)
        retry_after = None
        if exc.response.status_code == 429:  # still limited after the retry handler's attempts
            headers = {k.lower(): v for k, v in exc.response.headers.items()}
            retry_after = float(headers.get("retry-after") or 0)
        return DeliveryFailed(f"Slack {error or exc.response.status_code}", permanent=False, retry_after=retry_after)
