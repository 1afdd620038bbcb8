"""What Slack sends an app, built and signed the way Slack does, for tests and bench/.

Payload builders return the dict Slack delivers (the same dict arrives as a Socket Mode envelope
payload); `encode` turns it into the HTTP body of its kind, and `signed_headers` signs that body
with slack-sdk's own SignatureVerifier. No pytest here.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

TEAM = "T0TEST"
APP = "A0TEST"


def signed_headers(secret: str, body: str, content_type: str, *, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def encode(payload: dict[str, Any]) -> tuple[str, str]:
    """(body, content type): slash commands are a form, interactivity a form with `payload`, events JSON."""
    if "command" in payload:
        return urlencode(payload), "application/x-www-form-urlencoded"
    if payload.get("type") in ("block_actions", "view_submission", "view_closed"):
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    return json.dumps(payload), "application/json"


async def deliver(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    payload: dict[str, Any],
    *,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    """POST a payload to the app as Slack would; returns (status, response text)."""
    body, content_type = encode(payload)
    all_headers = {**signed_headers(secret, body, content_type, timestamp=timestamp), **(headers or {})}
    async with session.post(url, data=body.encode(), headers=all_headers) as response:
        return response.status, await response.text()


def _ids() -> str:
    return uuid.uuid4().hex[:10].upper()


def slash_command(
    text: str, *, user: str, channel: str, response_url: str, team: str = TEAM, command: str = "/interview"
) -> dict[str, Any]:
    return {
        "token": "deprecated", "team_id": team, "team_domain": "stand-in", "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general", "user_id": user,
        "user_name": user.lower(), "command": command, "text": text, "api_app_id": APP,
        "response_url": response_url, "trigger_id": f"trigger.{_ids()}",
    }  # fmt: skip


def block_actions(
    action_id: str,
    *,
    user: str,
    channel: str,
    response_url: str,
    team: str = TEAM,
    message: dict[str, Any] | None = None,
    container_type: str = "message",
) -> dict[str, Any]:
    """A button click. `message` is the message clicked (left out for ephemeral messages, as Slack does)."""
    container: dict[str, Any] = {"type": container_type, "channel_id": channel, "is_ephemeral": message is None}
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": APP, "team": {"id": team, "domain": "stand-in"}, "container": container,
        "trigger_id": f"trigger.{_ids()}", "channel": {"id": channel}, "response_url": response_url,
        "actions": [{
            "type": "button", "action_id": action_id, "block_id": "ipb-actions-0",
            "value": action_id.removeprefix("ipb:"), "action_ts": f"{time.time():.6f}",
        }],
    }  # fmt: skip
    if message is not None:
        container["message_ts"] = message["ts"]
        payload["message"] = message
    return payload


def view_submission(
    view: dict[str, Any], values: dict[str, dict[str, str]], *, user: str, team: str = TEAM
) -> dict[str, Any]:
    """Submit an opened modal; `values` maps block_id -> {action_id: typed text}."""
    state = {
        block_id: {action_id: {"type": "plain_text_input", "value": text} for action_id, text in inputs.items()}
        for block_id, inputs in values.items()
    }
    return {
        "type": "view_submission", "team": {"id": team, "domain": "stand-in"},
        "user": {"id": user, "username": user.lower(), "team_id": team}, "api_app_id": APP,
        "trigger_id": f"trigger.{_ids()}", "view": {**view, "team_id": team, "state": {"values": state}},
    }  # fmt: skip


def event_callback(event: dict[str, Any], *, team: str = TEAM, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "deprecated", "team_id": team, "api_app_id": APP, "event": event, "type": "event_callback",
        "event_id": event_id or f"Ev{_ids()}", "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "U0BOT", "is_bot": True, "is_enterprise_install": False}],
    }  # fmt: skip


def dm_message(
    text: str, *, user: str, channel: str | None = None, files: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A message.im event: the learner wrote to the bot in their DM."""
    event: dict[str, Any] = {
        "type": "message", "channel": channel or f"D{user}", "channel_type": "im", "user": user, "text": text,
        "ts": f"{time.time():.6f}", "event_ts": f"{time.time():.6f}",
    }  # fmt: skip
    if files:
        event.update(subtype="file_share", files=files)
    return event


def app_home_opened(user: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user}",
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
