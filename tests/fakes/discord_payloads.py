"""INTERACTION_CREATE payloads as Discord sends them: slash commands, button clicks, modal submits.

Ids are snowflakes of the current time (discord.py derives an interaction's expiry from its id).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import discord

from tests.fakes.discord_api import APPLICATION_ID

GUILD_ID = 700000000000000001
CHANNEL_ID = 700000000000000002
MANAGE_GUILD = discord.Permissions(manage_guild=True).value
MEMBER = discord.Permissions(send_messages=True, view_channel=True).value
STRING, INTEGER, BOOLEAN, CHANNEL, ATTACHMENT = 3, 4, 5, 7, 11
SUB_COMMAND = 1


@dataclass(frozen=True)
class Option:
    """An option whose type cannot be guessed from its Python value (a channel, an attachment)."""

    value: Any
    type: int
    resolved: tuple[str, dict[str, Any]] | None = None  # ("channels" | "attachments", the object)


def snowflake() -> str:
    return str(discord.utils.time_snowflake(discord.utils.utcnow()) + secrets.randbelow(1 << 12))


def user(user_id: int, name: str = "learner") -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "global_name": name.title(), "discriminator": "0", "avatar": None}


def text_channel(
    channel_id: int = CHANNEL_ID, guild_id: int = GUILD_ID, name: str = "practice", channel_type: int = 0
) -> dict[str, Any]:
    return {"id": str(channel_id), "type": channel_type, "guild_id": str(guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "permissions": str(MEMBER)}  # fmt: skip


def channel_option(channel_id: int, name: str = "daily", channel_type: int = 0) -> Option:
    """A channel picked in an option (type 0 text, 2 voice, 5 announcement)."""
    resolved = text_channel(channel_id, name=name, channel_type=channel_type)
    return Option(str(channel_id), CHANNEL, ("channels", resolved))


def attachment_option(attachment: dict[str, Any]) -> Option:
    return Option(attachment["id"], ATTACHMENT, ("attachments", attachment))


def _base(
    kind: int, data: dict[str, Any], user_id: int, guild_id: int | None, permissions: int, user_name: str = "learner",
    nick: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    payload: dict[str, Any] = {
        "id": snowflake(), "application_id": str(APPLICATION_ID), "type": kind, "token": secrets.token_urlsafe(24),
        "version": 1, "attachment_size_limit": 10 * 1024 * 1024, "data": data, "locale": "en-US",
        "app_permissions": str(MEMBER), "entitlements": [], "authorizing_integration_owners": {},
    }  # fmt: skip
    if guild_id is None:
        payload.update(user=user(user_id, user_name), channel={"id": str(CHANNEL_ID + 1000), "type": 1}, context=1)
    else:
        payload.update(
            guild_id=str(guild_id),
            channel=text_channel(guild_id=guild_id),
            member={"user": user(user_id, user_name), "roles": [], "joined_at": "2026-01-01T00:00:00+00:00",
                    "deaf": False, "mute": False, "flags": 0, "nick": nick, "avatar": None,
                    "permissions": str(permissions)},
            context=0,
        )  # fmt: skip
    return payload


def slash(
    command: str,
    user_id: int,
    /,
    *,
    guild_id: int | None = GUILD_ID,
    permissions: int = MEMBER,
    user_name: str = "learner",
    nick: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A slash command; `command` may be "group sub" (e.g. "qotd set"). Option types follow the values.
    `user_name` is the username (the global name is its title case); `nick` the member's server nickname."""
    resolved: dict[str, dict[str, Any]] = {}
    built = []
    for option_name, value in options.items():
        if isinstance(value, Option):
            if value.resolved is not None:
                resolved.setdefault(value.resolved[0], {})[str(value.value)] = value.resolved[1]
            built.append({"name": option_name, "type": value.type, "value": value.value})
        else:
            kind = BOOLEAN if isinstance(value, bool) else INTEGER if isinstance(value, int) else STRING
            built.append({"name": option_name, "type": kind, "value": value})
    name, *sub = command.split(" ")
    if sub:
        built = [{"name": sub[0], "type": SUB_COMMAND, "options": built}]
    data: dict[str, Any] = {"id": snowflake(), "name": name, "type": 1, "options": built}
    if resolved:
        data["resolved"] = resolved
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return _base(2, data, user_id, guild_id, permissions, user_name, nick)


def autocomplete(command: str, user_id: int, focused: str, value: str, /, **options: Any) -> dict[str, Any]:
    payload = slash(command, user_id, **options, **{focused: value})
    for option in payload["data"]["options"]:
        if option["name"] == focused:
            option["focused"] = True
    payload["type"] = 4
    return payload


def click(
    message: dict[str, Any], custom_id: str, user_id: int, *, guild_id: int | None = GUILD_ID, user_name: str = "learner"
) -> dict[str, Any]:
    """A button press on `message` (as the stand-in recorded it: its components carry the custom_id)."""
    payload = _base(3, {"custom_id": custom_id, "component_type": 2}, user_id, guild_id, MEMBER, user_name)
    payload["message"] = message
    return payload


def modal_submit(
    custom_id: str, values: dict[str, str], user_id: int, *, message: dict[str, Any] | None = None,
    guild_id: int | None = GUILD_ID,
) -> dict[str, Any]:  # fmt: skip
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
    payload = _base(5, {"custom_id": custom_id, "components": rows}, user_id, guild_id, MEMBER)
    if message is not None:
        payload["message"] = message
    return payload


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]
