"""Getting a rendered Reply to the learner: where it goes and how files travel.

A slash command or a button answers through its response_url (works in channels the bot is not a
member of; ephemeral unless the reply is public). A DM message is answered in the DM. Files (a chart,
an export) are uploaded to the learner's DM with the bot, never into a shared channel.

Delivery failures are logged, never raised: the use case has already committed, so nothing is lost
when a learner left the workspace or Slack refuses the message.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.render import FILES_IN_DM, message_payload
from bot.core.replies import Reply

log = logging.getLogger(__name__)

# Errors that mean "this person or place cannot be reached", not "the bot is broken".
UNREACHABLE = frozenset(
    {
        "account_inactive", "user_not_found", "user_disabled", "user_not_visible", "channel_not_found",
        "not_in_channel", "is_archived", "cannot_dm_bot", "messages_tab_disabled", "restricted_action",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Destination:
    user: str
    channel: str | None = None  # post here with chat.postMessage (the learner's DM with the bot)
    response_url: str | None = None  # or answer here (slash commands, buttons in messages)
    in_dm: bool = False  # the conversation is the learner's DM with the bot


class Outbox:
    def __init__(self, retry_handlers: list[AsyncRetryHandler]):
        self.retry_handlers = retry_handlers
        self._dm_channels: dict[str, str] = {}  # user -> DM channel id (conversations.open is Tier 3)

    async def dm_channel(self, client: AsyncWebClient, user: str) -> str:
        """The bot's DM with `user`, opened if they never wrote to it."""
        if user not in self._dm_channels:
            self._dm_channels[user] = (await client.conversations_open(users=user))["channel"]["id"]
        return self._dm_channels[user]

    async def send(self, client: AsyncWebClient, to: Destination, reply: Reply) -> None:
        async with _logging_failures(to.user):
            files_elsewhere = bool(reply.files) and not to.in_dm
            await self._post(
                client, to, replace(reply, footer=_join(reply.footer, FILES_IN_DM)) if files_elsewhere else reply
            )
            if reply.files:
                await self._upload(client, to, reply)

    async def publish_home(self, client: AsyncWebClient, user: str, view: dict[str, Any]) -> None:
        async with _logging_failures(user):
            await client.views_publish(user_id=user, view=view)

    async def _post(self, client: AsyncWebClient, to: Destination, reply: Reply) -> None:
        payload = message_payload(reply)
        if to.response_url:
            visibility = "ephemeral" if reply.private and not to.in_dm else "in_channel"
            hook = AsyncWebhookClient(to.response_url, retry_handlers=list(self.retry_handlers))
            response = await hook.send(**payload, response_type=visibility, replace_original=False)
            if response.status_code != 200:
                log.warning("response_url refused a reply to %s: %s %s", to.user, response.status_code, response.body)
            return
        channel = to.channel or await self.dm_channel(client, to.user)
        await client.chat_postMessage(channel=channel, **payload)

    async def _upload(self, client: AsyncWebClient, to: Destination, reply: Reply) -> None:
        channel = to.channel if to.in_dm and to.channel else await self.dm_channel(client, to.user)
        for f in reply.files:
            await client.files_upload_v2(
                channel=channel, file=f.data, filename=f.filename, title=f.filename, alt_txt=f.description or None
            )


@asynccontextmanager
async def _logging_failures(user: str) -> AsyncIterator[None]:
    try:
        yield
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in UNREACHABLE:
            log.warning("could not reach Slack user %s (%s); their data is kept", user, error)
        else:
            log.exception("Slack refused a reply to %s", user)


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)
