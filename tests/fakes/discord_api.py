"""A loopback Discord: enough of the gateway and REST API for the real discord.py client, and for
push workers posting over REST, to run against it with no network.

`DiscordStandIn` is an aiohttp server on 127.0.0.1, port 0. It speaks the gateway handshake
(HELLO, heartbeat ACK, IDENTIFY -> READY) and lets a test dispatch INTERACTION_CREATE payloads; it
answers login, interaction callbacks (refusing one later than 3 s or a second one, as Discord does),
followups and @original edits, DM channels, channel messages (honouring nonce + enforce_nonce) and
command sync. It records every request and counts requests, 429s and messages per channel.

It refuses, with 400 code 50035 as Discord does, what Discord refuses: embeds over their documented
limits (title 256, description 4096, 25 fields, field name 256 and value 1024, footer 2048, 6,000
characters across a message's embeds, 10 embeds), content over 2,000 characters, autocomplete answers
over 25 choices or with a name or value over 100 characters, and an uploaded file larger than the
interaction's `attachment_size_limit` (10 MiB for a message posted over REST). Characters are code points.

Configurable: users whose DMs are closed (403, code 50007) or unreachable (403, code 50278), a global
limit of requests per second over a sliding 1 s window (429 with Via, Retry-After and
{"message", "retry_after", "global": true}), and forced 429s for the next N requests to a route.

Used by tests and by bench/, so it must not import pytest.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from aiohttp import WSMsgType, web

API = "/api/v10"
CALLBACK = "POST /interactions/{interaction_id}/{token}/callback"
FOLLOWUP = "POST /webhooks/{application_id}/{token}"
EDIT_ORIGINAL = "PATCH /webhooks/{application_id}/{token}/messages/@original"
CREATE_DM = "POST /users/@me/channels"
CREATE_MESSAGE = "POST /channels/{channel_id}/messages"
EPHEMERAL = 1 << 6
LOADING = 1 << 7
BOT_ID = 900000000000000001
APPLICATION_ID = 900000000000000002
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}
FIELDS_MAX, EMBEDS_MAX, EMBED_TOTAL_MAX, FOOTER_MAX, AUTHOR_MAX, CONTENT_MAX = 25, 10, 6000, 2048, 256, 2000
CHOICES_MAX, CHOICE_MAX = 25, 100
AUTOCOMPLETE_RESULT = 8
MESSAGE_RESPONSES = (4, 5)  # channel message, deferred channel message (thinking)
UPDATE_RESPONSES = (6, 7)  # deferred update, update the component's message


@dataclass
class Recorded:
    """One request the bot made."""

    route: str  # e.g. "POST /channels/{channel_id}/messages"
    params: dict[str, str]  # the route's path parameters
    query: dict[str, str]
    body: Any  # the JSON body (or a multipart request's payload_json), None if empty
    files: dict[str, bytes] = field(default_factory=dict)  # filename -> bytes for multipart uploads
    status: int = 200
    response: Any = None  # the JSON the stand-in answered (e.g. the message as created or edited)


RECORD = web.RequestKey("record", Recorded)


@dataclass
class _Interaction:
    created: float  # monotonic time it was dispatched
    channel_id: str
    source_message_id: str | None  # the message a clicked component is on
    upload_limit: int  # the payload's attachment_size_limit
    acknowledged: bool = False
    original_id: str | None = None


def _embed_problems(embed: dict[str, Any]) -> tuple[list[str], int]:
    """What Discord would refuse in one embed, and the characters it counts towards the 6,000 total."""
    problems = [f"embed {key} over {limit}" for key, limit in EMBED_LIMITS.items() if len(embed.get(key) or "") > limit]
    total = sum(len(embed.get(key) or "") for key in EMBED_LIMITS)
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_MAX:
        problems.append(f"{len(fields)} fields, over {FIELDS_MAX}")
    for field_ in fields:
        for key, limit in FIELD_LIMITS.items():
            size = len(field_.get(key) or "")
            total += size
            if not size or size > limit:
                problems.append(f"field {key} of {size} characters (1-{limit})")
    for part, key, limit in (("footer", "text", FOOTER_MAX), ("author", "name", AUTHOR_MAX)):
        size = len((embed.get(part) or {}).get(key) or "")
        total += size
        if size > limit:
            problems.append(f"{part} over {limit}")
    return problems, total


def message_problems(body: dict[str, Any] | None, files: dict[str, bytes], upload_limit: int) -> list[str]:
    """Every documented limit a message body (and its uploads) breaks; empty when Discord accepts it."""
    body = body or {}
    problems = [f"{name}: {len(data)} bytes, over the {upload_limit}-byte upload limit"
                for name, data in files.items() if len(data) > upload_limit]  # fmt: skip
    if len(body.get("content") or "") > CONTENT_MAX:
        problems.append(f"content over {CONTENT_MAX}")
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        problems.append(f"{len(embeds)} embeds, over {EMBEDS_MAX}")
    total = 0
    for embed in embeds:
        found, size = _embed_problems(embed)
        problems += found
        total += size
    if total > EMBED_TOTAL_MAX:
        problems.append(f"{total} characters across the embeds, over {EMBED_TOTAL_MAX}")
    return problems


def choice_problems(choices: list[dict[str, Any]]) -> list[str]:
    problems = [f"{len(choices)} choices, over {CHOICES_MAX}"] if len(choices) > CHOICES_MAX else []
    for choice in choices:
        problems += [f"choice {key} of {len(str(choice[key]))} characters (1-{CHOICE_MAX})"
                     for key in ("name", "value") if not 1 <= len(str(choice[key])) <= CHOICE_MAX]  # fmt: skip
    return problems


def _invalid(problems: list[str]) -> web.Response:
    return _json({"message": "Invalid Form Body", "code": 50035, "errors": problems}, 400)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"message": message, "code": code}, status)


class DiscordStandIn:
    def __init__(
        self,
        *,
        token: str = "stand-in-token",
        limit_per_s: float | None = None,
        response_deadline_s: float = 3.0,
        bot_id: int = BOT_ID,
        application_id: int = APPLICATION_ID,
    ):
        self.token = token
        self.limit_per_s = limit_per_s
        self.response_deadline_s = response_deadline_s  # Discord: the first response within 3 s
        self.bot_user = {"id": str(bot_id), "username": "practice", "discriminator": "0", "avatar": None, "bot": True}
        self.application_id = str(application_id)
        self.closed_dms: set[str] = set()  # user ids answering 50007
        self.unreachable: set[str] = set()  # user ids answering 50278 (no shared server)

        self.recorded: list[Recorded] = []
        self.requests = 0  # REST requests received (interaction callbacks included)
        self.rate_limited = 0  # 429s sent
        self.messages_per_channel: Counter[str] = Counter()
        self.messages: dict[str, dict[str, Any]] = {}  # message id -> message, as Discord would return it
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None: global) -> synced commands
        self.identifies = 0
        # Sharding: what GET /gateway/bot recommends, and how many servers the bot is in (Discord
        # closes an identify with 4011 when one shard would hold more than 2,500 of them).
        self.recommended_shards = 1
        self.guild_count = 0
        self.shards_identified: list[tuple[int, int]] = []  # (shard id, shard count) of each identify
        self.delivered: list[tuple[str, int]] = []  # (event, shard id) of each dispatched event
        self.on_record: Callable[[Recorded], None] | None = None  # called as each request is recorded (benchmarks)
        self.threads: dict[str, dict[str, Any]] = {}  # thread id -> the thread, with its "members"
        self.can_create_threads = True  # False: the bot lacks Create Private Threads (403 50013)
        self.hold_created = 0  # this many created messages get no response (the sender dies waiting)
        self.held = asyncio.Event()  # set when one is being held

        self._ids = itertools.count(1)
        self._dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self._dm_recipients: dict[str, str] = {}  # DM channel id -> user id
        self._nonces: dict[tuple[str, str], str] = {}  # (channel id, nonce) -> message id
        self._interactions: dict[str, _Interaction] = {}  # by token
        self._attachments: dict[str, bytes] = {}
        self._window: deque[float] = deque()  # accepted request times, for the global limit
        self._forced: dict[str, deque[float]] = {}  # route -> retry_after of each forced 429
        self._sockets: list[web.WebSocketResponse] = []
        self._shard_of: dict[web.WebSocketResponse, tuple[int, int]] = {}
        self._ready = asyncio.Event()
        self._sequence = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle ----------------------------------------------------------------------------------
    async def start(self) -> DiscordStandIn:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.add_routes(
            [
                web.get("/gateway", self._gateway),
                web.get(API + "/gateway/bot", self._gateway_bot),
                web.get(API + "/users/@me", self._me),
                web.get(API + "/oauth2/applications/@me", self._application),
                web.post(API + "/interactions/{interaction_id}/{token}/callback", self._callback),
                web.post(API + "/webhooks/{application_id}/{token}", self._followup),
                web.patch(API + "/webhooks/{application_id}/{token}/messages/@original", self._edit_original),
                web.delete(API + "/webhooks/{application_id}/{token}/messages/@original", self._delete_original),
                web.post(API + "/users/@me/channels", self._create_dm),
                web.post(API + "/channels/{channel_id}/messages", self._create_message),
                web.post(API + "/channels/{channel_id}/threads", self._create_thread),
                web.put(API + "/channels/{channel_id}/thread-members/{user_id}", self._add_thread_member),
                web.put(API + "/applications/{application_id}/commands", self._sync_commands),
                web.put(API + "/applications/{application_id}/guilds/{guild_id}/commands", self._sync_commands),
                web.get("/attachments/{attachment_id}/{filename}", self._attachment),
            ]
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> DiscordStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """What discord.http.Route.BASE should be."""
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        """What DiscordWebSocket.DEFAULT_GATEWAY should be."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # test controls ------------------------------------------------------------------------------
    def force_429(self, route: str, times: int = 1, retry_after: float = 0.05) -> None:
        """The next `times` requests to `route` (e.g. CREATE_MESSAGE) get a per-route 429."""
        self._forced.setdefault(route, deque()).extend([retry_after] * times)

    def new_id(self) -> str:
        return str(discord.utils.time_snowflake(discord.utils.utcnow()) + next(self._ids))

    def host_attachment(self, filename: str, data: bytes, content_type: str = "application/x-yaml") -> dict[str, Any]:
        """An uploaded file the bot can download, as it appears in an interaction's resolved data."""
        attachment_id = self.new_id()
        self._attachments[attachment_id] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        return {
            "id": attachment_id, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
            "content_type": content_type,
        }  # fmt: skip

    async def wait_connected(self, timeout: float = 5.0, *, shards: int = 1) -> None:
        """Until `shards` gateway connections have identified (READY sent)."""

        async def enough() -> None:
            while len([ws for ws in self._sockets if not ws.closed]) < shards:
                self._ready.clear()
                await self._ready.wait()

        await asyncio.wait_for(enough(), timeout)

    @staticmethod
    def shard_for(guild_id: str | int | None, shard_count: int) -> int:
        """Discord's rule: a server's events go to shard (guild_id >> 22) % shard_count; DMs to shard 0."""
        return (int(guild_id) >> 22) % shard_count if guild_id is not None else 0

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the identified connection of the shard it belongs to."""
        await self.wait_connected()
        frame = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        for ws in list(self._sockets):
            shard_id, shard_count = self._shard_of[ws]
            if not ws.closed and self.shard_for(data.get("guild_id"), shard_count) == shard_id:
                self.delivered.append((event, shard_id))
                await ws.send_str(json.dumps(frame))

    async def interact(self, payload: dict[str, Any]) -> None:
        """Dispatch INTERACTION_CREATE; the 3 s response deadline starts now."""
        source = payload.get("message")
        if source is not None:
            self.messages.setdefault(source["id"], source)
        self._interactions[payload["token"]] = _Interaction(
            created=time.monotonic(),
            channel_id=payload["channel"]["id"],
            source_message_id=source["id"] if source else None,
            upload_limit=int(payload.get("attachment_size_limit", DEFAULT_UPLOAD_LIMIT)),
        )
        await self.dispatch("INTERACTION_CREATE", payload)

    async def wait_for(self, predicate: Callable[[Recorded], bool], timeout: float = 5.0) -> Recorded:
        """The first recorded request matching `predicate`, waiting for it if need be."""

        def found() -> Recorded | None:
            return next((r for r in self.recorded if predicate(r)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        result = found()
        assert result is not None
        return result

    async def wait_for_route(self, route: str, timeout: float = 5.0, **params: str) -> Recorded:
        return await self.wait_for(
            lambda r: r.route == route and all(r.params.get(k) == v for k, v in params.items()), timeout
        )

    def original(self, token: str) -> dict[str, Any] | None:
        """The interaction's original response message as it stands now (after edits)."""
        state = self._interactions.get(token)
        return self.messages.get(state.original_id) if state and state.original_id else None

    def routed(self, route: str) -> list[Recorded]:
        return [r for r in self.recorded if r.route == route]

    # middleware: auth, limits, recording --------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if request.path == "/gateway" or request.path.startswith("/attachments/"):
            return await handler(request)
        resource = request.match_info.route.resource
        if resource is None:  # no such route: aiohttp answers 404
            return await handler(request)
        self.requests += 1
        route = f"{request.method} {resource.canonical.removeprefix(API)}"
        # Interaction callbacks and followups carry their own token and skip the bot's global limit.
        by_interaction = resource.canonical.startswith((API + "/interactions/", API + "/webhooks/"))
        if not by_interaction and request.headers.get("Authorization") != f"Bot {self.token}":
            return _error(401, 0, "401: Unauthorized")
        limited = self._forced_429(route) or (None if by_interaction else self._global_429())
        if limited is not None:
            self.rate_limited += 1
            return limited
        body, files = await self._read_body(request)
        record = Recorded(route, dict(request.match_info), dict(request.query), body, files)
        request[RECORD] = record
        response = await handler(request)
        record.status = response.status
        if isinstance(response, web.Response) and response.content_type == "application/json":
            record.response = json.loads(response.body)  # type: ignore[arg-type]
        if self.on_record is not None:
            self.on_record(record)
        async with self._changed:
            self.recorded.append(record)
            self._changed.notify_all()
        return response

    def _forced_429(self, route: str) -> web.Response | None:
        queue = self._forced.get(route)
        if not queue:
            return None
        return self._too_many(queue.popleft(), is_global=False)

    def _global_429(self) -> web.Response | None:
        if self.limit_per_s is None:
            return None
        now = time.monotonic()
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        if len(self._window) >= self.limit_per_s:
            return self._too_many(self._window[0] + 1.0 - now, is_global=True)
        self._window.append(now)
        return None

    @staticmethod
    def _too_many(retry_after: float, *, is_global: bool) -> web.Response:
        retry_after = max(round(retry_after, 3), 0.001)
        headers = {"Via": "1.1 google", "Retry-After": str(math.ceil(retry_after))}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
            headers["X-RateLimit-Scope"] = "global"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        return _json(body, 429, headers)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
        if request.content_type.startswith("multipart/"):
            body, files = None, {}
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files[part.filename or part.name or ""] = bytes(await part.read())  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), {}

    # gateway ------------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            if frame["op"] == 1:  # heartbeat
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:  # identify
                await self._identify(ws, frame["d"])
            elif frame["op"] == 6:  # resume: there is nothing to replay
                await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(self._sequence), "d": {}}))
        if ws in self._sockets:
            self._sockets.remove(ws)
            del self._shard_of[ws]
        if not self._sockets:
            self._ready.clear()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return
        if self.guild_count > 2500 * shard_count:
            await ws.close(code=4011, message=b"Sharding required.")
            return
        self.identifies += 1
        self.shards_identified.append((shard_id, shard_count))
        ready = {
            "v": 10, "user": self.bot_user, "guilds": [], "session_id": f"session-{self.identifies}",
            "resume_gateway_url": self.gateway_url, "application": {"id": self.application_id, "flags": 0},
            "shard": [shard_id, shard_count],
        }  # fmt: skip
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._sequence), "d": ready}))
        self._sockets.append(ws)
        self._shard_of[ws] = (shard_id, shard_count)
        self._ready.set()

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": self.recommended_shards, "session_start_limit": limit})

    # REST: login ----------------------------------------------------------------------------------
    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": self.application_id, "name": "Interview practice", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False, "owner": self.bot_user, "verify_key": "0" * 64,
                "flags": 0, "bot": self.bot_user,
            }  # fmt: skip
        )

    # REST: interactions -------------------------------------------------------------------------
    def _message(
        self, channel_id: str, body: dict[str, Any] | None, files: dict[str, bytes], message_id: str | None = None
    ) -> dict[str, Any]:
        """A message as Discord returns it, stored so later edits and lookups see it."""
        body = body or {}
        message = {
            "id": message_id or self.new_id(), "channel_id": channel_id, "type": 0, "author": self.bot_user,
            "content": body.get("content", ""), "embeds": body.get("embeds", []),
            "components": body.get("components", []), "flags": body.get("flags", 0), "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "pinned": False,
            "timestamp": discord.utils.utcnow().isoformat(), "edited_timestamp": None,
            "attachments": [
                {"id": self.new_id(), "filename": name, "size": len(data), "url": f"http://127.0.0.1/{name}",
                 "proxy_url": f"http://127.0.0.1/{name}"}
                for name, data in files.items()
            ] or body.get("attachments", []),
        }  # fmt: skip
        if "nonce" in body:
            message["nonce"] = body["nonce"]
        self.messages[message["id"]] = message
        return message

    def _edit(self, message_id: str, body: dict[str, Any] | None, files: dict[str, bytes]) -> dict[str, Any]:
        message = self.messages[message_id]
        flags = message["flags"] & ~LOADING | (body or {}).get("flags", 0)
        edited = self._message(message["channel_id"], {**message, **(body or {}), "flags": flags}, files, message_id)
        edited["edited_timestamp"] = discord.utils.utcnow().isoformat()
        return edited

    async def _callback(self, request: web.Request) -> web.Response:
        state = self._interactions.get(request.match_info["token"])
        if state is None or time.monotonic() - state.created > self.response_deadline_s:
            return _error(404, 10062, "Unknown interaction")
        if state.acknowledged:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        record = request[RECORD]
        kind = record.body["type"]
        data = record.body.get("data") or {}
        if problems := self._refused(record, state, data, kind):
            return _invalid(problems)
        state.acknowledged = True
        resource: dict[str, Any] = {"type": kind}
        if kind in MESSAGE_RESPONSES:
            flags = data.get("flags", 0) | (LOADING if kind == 5 else 0)
            message = self._message(state.channel_id, {**data, "flags": flags}, record.files)
            state.original_id = message["id"]
            resource["message"] = message
        elif kind in UPDATE_RESPONSES and state.source_message_id is not None:
            state.original_id = state.source_message_id
            if kind == 7:
                resource["message"] = self._edit(state.source_message_id, data, record.files)
        interaction = {
            "id": request.match_info["interaction_id"], "type": 2,
            "response_message_id": state.original_id, "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
        }  # fmt: skip
        return _json({"interaction": interaction, "resource": resource})

    @staticmethod
    def _refused(record: Recorded, state: _Interaction, data: dict[str, Any], kind: int | None = None) -> list[str]:
        if kind == AUTOCOMPLETE_RESULT:
            return choice_problems(data.get("choices") or [])
        return message_problems(data, record.files, state.upload_limit)

    def _interaction_for(self, request: web.Request) -> _Interaction | None:
        return self._interactions.get(request.match_info["token"])

    async def _followup(self, request: web.Request) -> web.Response:
        state = self._interaction_for(request)
        if state is None or not state.acknowledged:
            return _error(404, 10015, "Unknown Webhook")
        record = request[RECORD]
        if problems := self._refused(record, state, record.body):
            return _invalid(problems)
        original = self.messages.get(state.original_id or "")
        if original is not None and original["flags"] & LOADING:  # the first followup fills the "thinking" message
            return _json(self._edit(original["id"], record.body, record.files))
        return _json(self._message(state.channel_id, record.body, record.files))

    async def _edit_original(self, request: web.Request) -> web.Response:
        state = self._interaction_for(request)
        if state is None or state.original_id is None:
            return _error(404, 10008, "Unknown Message")
        record = request[RECORD]
        if problems := self._refused(record, state, record.body):
            return _invalid(problems)
        return _json(self._edit(state.original_id, record.body, record.files))

    async def _delete_original(self, request: web.Request) -> web.Response:
        state = self._interaction_for(request)
        if state is None or state.original_id is None or state.original_id not in self.messages:
            return _error(404, 10008, "Unknown Message")
        del self.messages[state.original_id]
        return web.Response(status=204)

    # REST: DMs and channel messages -------------------------------------------------------------
    async def _create_dm(self, request: web.Request) -> web.Response:
        user_id = str(request[RECORD].body["recipient_id"])
        if user_id not in self._dm_channels:
            channel_id = self.new_id()
            self._dm_channels[user_id] = channel_id
            self._dm_recipients[channel_id] = user_id
        recipient = {"id": user_id, "username": f"user{user_id[-4:]}", "discriminator": "0", "avatar": None}
        return _json({"id": self._dm_channels[user_id], "type": 1, "last_message_id": None, "recipients": [recipient]})

    def dm_channel(self, user_id: str) -> str | None:
        return self._dm_channels.get(user_id)

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = request.match_info["channel_id"]
        recipient = self._dm_recipients.get(channel_id)
        if recipient in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        if recipient in self.unreachable:
            return _error(403, 50278, "Cannot send messages to this user due to having no mutual guilds")
        record = request[RECORD]
        body = record.body or {}
        if problems := message_problems(body, record.files, DEFAULT_UPLOAD_LIMIT):
            return _invalid(problems)
        nonce_key = (channel_id, str(body.get("nonce")))
        if body.get("enforce_nonce") and nonce_key in self._nonces:
            return _json(self.messages[self._nonces[nonce_key]])
        message = self._message(channel_id, body, record.files)
        if body.get("enforce_nonce"):
            self._nonces[nonce_key] = message["id"]
        self.messages_per_channel[channel_id] += 1
        if self.hold_created > 0:  # posted, but the answer never reaches the sender
            self.hold_created -= 1
            self.held.set()
            await asyncio.Event().wait()
        return _json(message)

    async def _create_thread(self, request: web.Request) -> web.Response:
        body = request[RECORD].body or {}
        if not self.can_create_threads:
            return _error(403, 50013, "Missing Permissions")
        if not 1 <= len(body.get("name", "")) <= 100 or body.get("type") not in (11, 12):
            return _error(400, 50035, "Invalid Form Body")
        thread = {
            "id": self.new_id(), "type": body["type"], "parent_id": request.match_info["channel_id"],
            "name": body["name"], "guild_id": "0", "members": [],
        }  # fmt: skip
        self.threads[thread["id"]] = thread
        return _json({k: v for k, v in thread.items() if k != "members"}, 201)

    async def _add_thread_member(self, request: web.Request) -> web.Response:
        thread = self.threads.get(request.match_info["channel_id"])
        if thread is None:
            return _error(404, 10003, "Unknown Channel")
        thread["members"].append(request.match_info["user_id"])
        return web.Response(status=204)

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    # REST: command sync and attachments ---------------------------------------------------------
    async def _sync_commands(self, request: web.Request) -> web.Response:
        synced = [
            {**command, "id": self.new_id(), "application_id": self.application_id, "version": self.new_id()}
            for command in request[RECORD].body
        ]
        self.commands[request.match_info.get("guild_id")] = synced
        return _json(synced)

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self._attachments.get(request.match_info["attachment_id"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")
