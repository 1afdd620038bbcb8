"""Which bot token serves a workspace: the one SLACK_BOT_TOKEN, or (multi-workspace OAuth installs)
the token slack-sdk's installation store keeps in our database for that team."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.settings import Settings

log = logging.getLogger(__name__)

OAUTH_STATE_SECONDS = 600
# `engine` below is the App's AsyncEngine, typed loosely: SQLAlchemy is imported only in storage/.
TokenLookup = Callable[[str], Awaitable[str | None]]  # team id -> bot token (None: not installed there)


def multi_workspace(settings: Settings) -> bool:
    return settings.slack_client_id is not None and settings.slack_client_secret is not None


def installation_store(settings: Settings, engine: Any) -> AsyncSQLAlchemyInstallationStore:
    assert settings.slack_client_id is not None
    return AsyncSQLAlchemyInstallationStore(settings.slack_client_id, engine)


def oauth_settings(settings: Settings, engine: Any, scopes: Sequence[str]) -> AsyncOAuthSettings:
    """Installs and OAuth states live in our database (tables from migration 0004_slack_oauth)."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(scopes),
        redirect_uri=settings.slack_redirect_uri,
        installation_store=installation_store(settings, engine),
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=engine),
    )


TOO_MANY_INSTALLS = (
    "Too many installs are in progress right now. Please try again in a few minutes "
    "(an install link is valid for 10 minutes)."
)


class InstallFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, with a bounded state table: each visit of /slack/install first deletes the
    expired states, and is answered 429 while `limit` unexpired ones are outstanding (at most `limit`
    new states per 10 minutes, however many visits arrive)."""

    def __init__(self, *, settings: AsyncOAuthSettings, store: Any, clock: Any, limit: int):
        super().__init__(settings=settings)
        self.store, self.clock, self.limit = store, clock, limit

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        async with self.store.transaction() as repo:
            live = await repo.live_oauth_states(self.clock.now())
        if live >= self.limit:
            log.warning("install page refused: %d install states outstanding (SLACK_INSTALL_STATES)", live)
            return BoltResponse(
                status=429,
                body=TOO_MANY_INSTALLS,
                headers={"Content-Type": "text/plain; charset=utf-8", "Retry-After": "60"},
            )
        return await super().handle_installation(request)


def bot_token_lookup(settings: Settings, engine: Any) -> TokenLookup:
    """For code that talks to Slack outside a request (the push worker): a team's bot token."""
    if multi_workspace(settings):
        store = installation_store(settings, engine)

        async def installed(team: str) -> str | None:
            bot = await store.async_find_bot(enterprise_id=None, team_id=team)
            return bot.bot_token if bot is not None else None

        return installed
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None

    async def single(team: str) -> str | None:
        return token

    return single
