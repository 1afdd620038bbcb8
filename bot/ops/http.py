"""GET /healthz (a real database round trip: 200, or 503 with the reason) and GET /metrics
(Prometheus text format), on METRICS_HOST:METRICS_PORT (127.0.0.1 unless configured)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from bot.ops.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[str | None]]  # None when healthy, else why not


class OpsPortUnavailable(Exception):
    """METRICS_HOST:METRICS_PORT cannot be listened on (taken, not this machine's address, no permission)."""


def health_handler(check: HealthCheck) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(request: web.Request) -> web.Response:
        reason = await check()
        if reason is None:
            return web.json_response({"ok": True})
        log.warning("health check failed: %s", reason)
        return web.json_response({"ok": False, "reason": reason}, status=503)

    return healthz


def ops_app(check: HealthCheck, metrics: Metrics) -> web.Application:
    async def metrics_page(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    application = web.Application()
    application.router.add_get("/healthz", health_handler(check))
    application.router.add_get("/metrics", metrics_page)
    return application


@asynccontextmanager
async def serving(port: int | None, host: str, check: HealthCheck, metrics: Metrics) -> AsyncIterator[None]:
    """Serve /healthz and /metrics while the block runs; nothing when no port is configured."""
    if port is None:
        yield
        return
    runner = web.AppRunner(ops_app(check, metrics), access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise OpsPortUnavailable(
                f"cannot serve /healthz and /metrics on METRICS_HOST:METRICS_PORT {host}:{port}: "
                f"{exc.strerror or exc}. Choose a free port, or unset METRICS_PORT."
            ) from None
        log.info("health and metrics on http://%s:%s (/healthz, /metrics)", host, port)
        yield
    finally:
        await runner.cleanup()
