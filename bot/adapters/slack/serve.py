"""Running the Slack app: HTTP mode (aiohttp on $PORT: /slack/events, /healthz and, for OAuth
installs, /slack/install + /slack/oauth_redirect) or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.adapters.slack.app import Core, create_app
from bot.ops.http import HealthCheck, health_handler
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def web_app(app: AsyncApp, health: HealthCheck) -> web.Application:
    """Bolt's aiohttp application (events, commands, interactivity, OAuth routes) plus a health check
    (a real database round trip; 503 with the reason when the database cannot serve)."""
    application = app.web_app(path=EVENTS_PATH)
    application.router.add_get("/healthz", health_handler(health))
    return application


async def serve(core: Core, settings: Settings, *, host: str = "0.0.0.0") -> None:
    """Run until cancelled."""
    app = create_app(core, settings)
    if settings.slack_app_token is not None:
        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        log.info("Slack: Socket Mode")
        try:
            await handler.start_async()
        finally:
            await handler.close_async()
        return
    runner = web.AppRunner(web_app(app, core.health))
    await runner.setup()
    await web.TCPSite(runner, host, settings.port).start()
    log.info("Slack: HTTP mode on port %s, events at %s", settings.port, EVENTS_PATH)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
