"""Running the Slack app: HTTP mode (aiohttp on $PORT: /slack/events, /healthz and, for OAuth
installs, /slack/install + /slack/oauth_redirect) or Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.adapters.slack.app import Core, create_app
from bot.adapters.slack.guard import ConnectionGuard, default_connection_limit, slack_requests
from bot.ops.http import HealthCheck, health_handler
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def connection_guard(settings: Settings) -> ConnectionGuard:
    return ConnectionGuard(settings.slack_http_timeout, settings.slack_max_connections or default_connection_limit())


def web_app(
    app: AsyncApp, settings: Settings, health: HealthCheck | None = None, guard: ConnectionGuard | None = None
) -> web.Application:
    """Bolt's aiohttp application (events, commands, interactivity, OAuth routes) behind the
    request-time limits and Slack's signature check (bot.adapters.slack.guard), plus, given one, the
    health check (a real database round trip; 503 with the reason when the database cannot serve)."""
    application = app.web_app(path=EVENTS_PATH)
    application.middlewares.append((guard or connection_guard(settings)).middleware)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    application.middlewares.append(slack_requests(secret, EVENTS_PATH))
    if health is not None:
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
    guard = connection_guard(settings)
    runner = web.AppRunner(web_app(app, settings, core.health, guard), **guard.runner_options())
    await runner.setup()
    server = await guard.listen(runner, host, settings.port)
    log.info(
        "Slack: HTTP mode on port %s, events at %s (at most %d connections, %ss to send a request)",
        settings.port, EVENTS_PATH, guard.limit, guard.timeout,
    )  # fmt: skip
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        await runner.cleanup()
