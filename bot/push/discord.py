"""Daily pushes to Discord over REST only (no gateway): discord.py's HTTPClient, paced below the bot's
global limit of 50 requests/s.

discord.py honours 429 Retry-After itself (global and per route) and retries 5xx; what is left after
its retries becomes DeliveryFailed. Each message carries the push's idempotency key as its nonce with
enforce_nonce, so a resend after a crash gets the first message back instead of a second one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
from aiolimiter import AsyncLimiter
from discord.http import HTTPClient, Route

from bot.adapters.discord.render import message_payload
from bot.core.ports import CredentialsRefused, DeliveryFailed, Destination, Sent
from bot.core.replies import Reply

# Discord error codes that mean "this will not work tomorrow either", in words for the learner's notice.
PERMANENT = {
    50007: "Discord does not let the bot send you direct messages (check your privacy settings for the server)",
    50278: "the bot no longer shares a Discord server with you",
    10003: "the Discord channel no longer exists",
    10013: "Discord no longer knows that user",
    50001: "the bot has no access to that Discord channel",
    50013: "the bot is missing permissions in that Discord channel",
}
REQUEST_TIMEOUT_S = 30.0
PACE_BURST = 2
KEPT_BUCKETS = 256


class PushHTTPClient(HTTPClient):
    """discord.py's HTTPClient with its per-channel rate-limit memory bounded.

    It keeps a bucket per channel and, once it holds 256, scans all of them for expired ones each
    time a new channel appears: quadratic in a fan-out to thousands of DM channels (10,000 DMs cost
    seconds of CPU in that scan alone). A push writes to each DM channel once a day, so only the
    most recent buckets are worth keeping.
    """

    def _try_clear_expired_ratelimits(self) -> None:
        while len(self._buckets) > KEPT_BUCKETS:
            del self._buckets[next(iter(self._buckets))]  # the oldest first (dicts keep insertion order)


class DiscordMessenger:
    def __init__(self, http: HTTPClient, rate_per_s: float):
        self.http = http
        # A leaky bucket of PACE_BURST requests draining at rate_per_s: a request woken a little late
        # does not lose its slot, and any one-second window holds at most rate_per_s + PACE_BURST.
        self._pace = AsyncLimiter(PACE_BURST, PACE_BURST / rate_per_s)

    @classmethod
    async def connect(cls, token: str, rate_per_s: float) -> DiscordMessenger:
        """Log in over REST (GET /users/@me checks the token); raises discord.LoginFailure on a bad one."""
        http = PushHTTPClient(asyncio.get_running_loop())
        await http.static_login(token)
        return cls(http, rate_per_s)

    async def close(self) -> None:
        await self.http.close()

    async def send(self, dest: Destination, reply: Reply, *, idempotency_key: str, maybe_sent: bool = False) -> Sent:
        payload = {**message_payload(reply), "nonce": idempotency_key, "enforce_nonce": True}
        try:
            channel_id = dest.channel_id or await self._dm_channel(dest)
            message = await self._request(Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id), payload)
        except discord.HTTPException as exc:
            if exc.status == 401:
                raise CredentialsRefused("Discord rejects DISCORD_TOKEN (reset in the Developer Portal?)") from exc
            raise self._failure(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryFailed(f"Discord unreachable: {type(exc).__name__}", permanent=False) from exc
        return Sent(str(message["id"]), str(channel_id))

    async def _dm_channel(self, dest: Destination) -> str:
        """The DM channel with the recipient (the core caches it on the target)."""
        channel = await self._request(Route("POST", "/users/@me/channels"), {"recipient_id": dest.recipient})
        return str(channel["id"])

    async def _request(self, route: Route, payload: dict[str, Any]) -> Any:
        async with self._pace:
            return await asyncio.wait_for(self.http.request(route, json=payload), REQUEST_TIMEOUT_S)

    @staticmethod
    def _failure(exc: discord.HTTPException) -> DeliveryFailed:
        if exc.code in PERMANENT:
            return DeliveryFailed(PERMANENT[exc.code], permanent=True)
        if exc.status in (403, 404):
            return DeliveryFailed(f"Discord refused it ({exc.status}, code {exc.code})", permanent=True)
        retry_after = None
        if exc.status == 429:  # still limited after discord.py's own retries
            retry_after = float(exc.response.headers.get("Retry-After", 0) or 0)
        return DeliveryFailed(f"Discord {exc.status} (code {exc.code})", permanent=False, retry_after=retry_after)
