"""What stands between the internet and slack-bolt in HTTP mode.

- `ConnectionGuard`: a client has `timeout` seconds to send a request's headers (aiohttp's keep-alive
  timeout, which also closes idle connections) and then `timeout` seconds to send its body; at most
  `limit` connections are open, and when a new one arrives at the limit the oldest connection still
  sending its request is closed (so /healthz and Slack get in while slow clients are dropped).
  A connection counts from the moment asyncio creates its protocol until its socket is closed, and
  asyncio accepts at most ACCEPT_BATCH sockets before the guard sees the first of them, so a flood of
  slow clients holds at most `limit` + 2 * ACCEPT_BATCH sockets (the new batch, and as many closed but
  not yet released): FD_RESERVE leaves room for that. If the process runs out of file handles anyway (a
  SLACK_MAX_CONNECTIONS above what the open-file limit allows), accept() errors are logged once a
  minute, not each time.
- `slack_requests`: a request to the events path must carry a valid Slack signature before anything
  parses it, and must then parse as Slack sends it. Anything else is answered 401 or 400 with one
  bounded WARNING line (never the body: slack-bolt would log the whole body of a forged request).
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FD_RESERVE = 128  # file handles kept for the database, Slack API calls, logs and 2 * ACCEPT_BATCH connections
ACCEPT_BATCH = 16  # connections asyncio accepts in one go (per readiness of the socket) before the guard sees them
LISTEN_QUEUE = 128  # connections the kernel holds for accept() (aiohttp's default); they use none of our file handles
MIN_CONNECTIONS = 16
ACCEPT_ERROR = "socket.accept() out of system resource"  # asyncio's message; it retries after 1 s
ACCEPT_LOG_EVERY = 60.0
TIMESTAMP_DIGITS = 12  # a Unix time in seconds; anything longer is not one


def default_connection_limit() -> int:
    """As many connections as the open-file limit leaves room for."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(soft - FD_RESERVE, MIN_CONNECTIONS)


class ConnectionGuard:
    def __init__(self, timeout: float, limit: int):
        self.timeout = timeout
        self.limit = limit
        self._open: dict[_Counted, None] = {}  # every accepted connection until its socket is closed, oldest first
        self._busy: set[Any] = set()  # connections whose request has fully arrived and is being answered
        self._accept_errors = 0
        self._accept_logged_at = float("-inf")

    def runner_options(self) -> dict[str, Any]:
        """For web.AppRunner: no request line and headers within `timeout` (or idle that long) closes.
        No access log: a line per request (user agent and all) is what a flood would fill the log with;
        refusals get their own line here and in `slack_requests`. No lingering: a body that timed out
        is not read on after the 408 (the middleware reads every other body whole)."""
        return {"keepalive_timeout": self.timeout, "lingering_time": 0, "access_log": None}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The body within `timeout` (aiohttp already caps its size), then the request counts as busy."""
        try:
            async with asyncio.timeout(self.timeout):
                await request.read()  # cached: request.text() later returns it without waiting
        except TimeoutError:
            log.warning("closed a request whose body took over %ss (%s %s)", self.timeout, request.method, request.path)
            response = web.Response(status=408, text="request body too slow")
            response.force_close()
            return response
        except (ConnectionError, RuntimeError):  # the client went away, or was closed to make room for
            # another (aiohttp's stream says "Connection closed." as a RuntimeError when its transport is gone)
            return web.Response(status=400)
        self._busy.add(request.protocol)
        try:
            return await handler(request)
        finally:
            self._busy.discard(request.protocol)

    async def listen(self, runner: web.AppRunner, host: str, port: int) -> asyncio.AbstractServer:
        """Serve `runner` on host:port with the connection limit (runner.cleanup() closes connections;
        close the returned server first).

        asyncio accepts up to `backlog` sockets each time the listening socket is ready, and only on the
        next turn of the event loop calls `connection` for them, so `backlog` is how far a burst can run
        ahead of the limit: it is ACCEPT_BATCH, not asyncio's 100. asyncio also passes `backlog` to
        listen(); listening again with LISTEN_QUEUE lets the kernel keep holding a burst of clients
        (they cost no file handle until accepted) rather than drop their SYNs for a 1 s retry."""
        assert runner.server is not None, "runner.setup() first"
        server = runner.server
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._exception_handler)

        def connection() -> asyncio.BaseProtocol:
            if len(self._open) >= self.limit:
                self._evict(1)
            counted = _Counted(server(), self._open)
            self._open[counted] = None
            return counted

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=LISTEN_QUEUE)
        try:
            listening = await loop.create_server(connection, sock=sock, backlog=ACCEPT_BATCH)
        except BaseException:
            sock.close()
            raise
        sock.listen(LISTEN_QUEUE)  # asyncio listen()ed with ACCEPT_BATCH: the kernel may queue more than that
        return listening

    def _evict(self, count: int) -> int:
        """Close up to `count` of the oldest connections still sending their request (or idle)."""
        closed = 0
        for counted in self._open:  # oldest first; closing only schedules connection_lost, so this cannot change
            if closed == count:
                break
            handler, transport = counted.handler, counted.handler.transport
            if transport is not None and not transport.is_closing() and handler not in self._busy:
                handler.force_close()
                closed += 1
        return closed

    def _exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_ERROR:
            loop.default_exception_handler(context)
            return
        self._accept_errors += 1
        freed = self._evict(max(self.limit // 10, 1))
        now = time.monotonic()
        if now - self._accept_logged_at >= ACCEPT_LOG_EVERY:
            exc = context.get("exception")
            log.warning(
                "out of file handles accepting connections (%s; %d time(s) since the last report): closed %d "
                "slow connection(s), accepting again in 1 s; lower SLACK_MAX_CONNECTIONS or raise the open-file "
                "limit", getattr(exc, "strerror", exc), self._accept_errors, freed,
            )  # fmt: skip
            self._accept_logged_at, self._accept_errors = now, 0


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted by the guard from the moment asyncio creates it for an
    accepted socket until that socket is closed (aiohttp lists a connection only from connection_made, an
    event-loop turn later, and a closed one until its handler finishes)."""

    def __init__(self, handler: RequestHandler, open_: dict[_Counted, None]) -> None:
        self.handler = handler
        self._open = open_

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.handler.connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._open.pop(self, None)  # asyncio closes the socket right after this returns
        self.handler.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received()

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()


def slack_requests(signing_secret: str, path: str) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Middleware: POSTs to `path` are signed by Slack and well formed, or refused before slack-bolt."""
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
            return _refuse(request, 401, "no valid X-Slack-Request-Timestamp", len(body))
        try:
            text = body.decode("utf-8")  # what Slack sends, and what the signature is computed over
        except UnicodeDecodeError:
            return _refuse(request, 400, "not UTF-8", len(body))
        if not verifier.is_valid(text, timestamp, signature):
            return _refuse(request, 401, "bad signature or a timestamp over 5 minutes old", len(body))
        try:
            parsed = parse_body(text, request.content_type)
        except (ValueError, RecursionError):  # json.JSONDecodeError is a ValueError
            return _refuse(request, 400, "signed, but not JSON or a form Slack sends", len(body))
        if not isinstance(parsed, dict):
            return _refuse(request, 400, "signed, but not a JSON object", len(body))
        return await handler(request)

    return check


def _refuse(request: web.Request, status: int, reason: str, size: int) -> web.Response:
    log.warning("refused a request to %s from %s: %s (%d bytes)", request.path, request.remote, reason, size)
    return web.json_response({"error": "invalid request"}, status=status)
