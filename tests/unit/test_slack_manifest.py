"""slack/manifest.yaml asks for exactly what the code uses: scopes, events, the slash command, routes."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.adapters.slack.app import BOT_SCOPES, SLASH_COMMAND
from bot.adapters.slack.serve import EVENTS_PATH

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "slack" / "manifest.yaml").read_text())


def test_scopes_are_exactly_the_ones_the_code_declares():
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == sorted(BOT_SCOPES)
    assert "user" not in MANIFEST["oauth_config"]["scopes"]


def test_events_are_the_ones_the_listeners_handle():
    # DMs (message.im) and App Home; tests/e2e/test_slack.py drives both through the real listeners.
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened", "message.im"]


def test_slash_command_interactivity_and_every_url_point_at_the_app():
    (command,) = MANIFEST["features"]["slash_commands"]
    assert command["command"] == SLASH_COMMAND and command["should_escape"] is True  # channels arrive as <#C..|..>
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    for url in (
        command["url"],
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
    ):
        assert url.endswith(EVENTS_PATH)
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")  # bolt's default path
    assert MANIFEST["features"]["app_home"] == {
        "home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": False,
    }  # fmt: skip
