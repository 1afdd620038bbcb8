"""SlackStandIn: a loopback Slack (Web API, file uploads and downloads, response_url, Socket Mode).

An aiohttp server on 127.0.0.1:0 that answers the Web API methods the app uses the way Slack does,
records every call, and can be told to fail (a user who left, a deleted channel, a channel the bot
is not in) or to rate-limit (429 with Retry-After). Point slack-sdk at it with
`AsyncWebClient(token=..., base_url=stand_in.base_url)`. Socket Mode: `apps.connections.open`
returns a ws:// URL on the same server, and `push()` sends an envelope and waits for its ack.

Used by the tests and by bench/, so it must not import pytest.

    async with SlackStandIn() as slack:
        slack.add_user("U1", tz="Europe/Berlin")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        await client.chat_postMessage(channel="U1", text="hi")
        assert slack.calls_to("chat.postMessage")[0].args["text"] == "hi"
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON_ARGS = ("blocks", "attachments", "metadata", "view", "files")  # JSON-encoded when sent as a form

# Slack's documented Block Kit limits (docs.slack.dev; PLATFORM_NOTES lists them). A message over any
# of them is refused whole: `invalid_blocks`, or `msg_blocks_too_long` past ~12,000 characters of text.
MESSAGE_BLOCKS, SURFACE_BLOCKS = 50, 100  # a message; a modal or the App Home
MESSAGE_TEXT_TOTAL = 12_000  # undocumented but enforced (slackapi/bolt-js#2509, #2867)
SECTION_TEXT, SECTION_FIELDS, FIELD_TEXT = 3000, 10, 2000
HEADER_TEXT, CONTEXT_ELEMENTS, ACTIONS_ELEMENTS = 150, 10, 25
BUTTON_TEXT, ACTION_ID, BUTTON_VALUE, BLOCK_ID = 75, 255, 2000, 255
MODAL_TITLE, INPUT_MAX_LENGTH, PRIVATE_METADATA = 24, 3000, 3000
FALLBACK_TEXT = 4000  # chat.postMessage `text` is cut here, not refused


def block_kit_problems(blocks: list[dict[str, Any]], *, max_blocks: int) -> list[str]:
    """Why Slack would refuse these blocks (empty: it accepts them)."""
    problems = [f"{len(blocks)} blocks (at most {max_blocks})"] if len(blocks) > max_blocks else []

    def over(what: str, text: Any, limit: int) -> None:
        if len(str(text)) > limit:
            problems.append(f"{what}: {len(str(text))} characters (at most {limit})")

    for i, block in enumerate(blocks):
        kind = block.get("type")
        over(f"block {i} block_id", block.get("block_id", ""), BLOCK_ID)
        if kind == "section":
            over(f"section {i} text", (block.get("text") or {}).get("text", ""), SECTION_TEXT)
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS:
                problems.append(f"section {i}: {len(fields)} fields (at most {SECTION_FIELDS})")
            for field in fields:
                over(f"section {i} field", field.get("text", ""), FIELD_TEXT)
        elif kind == "header":
            over(f"header {i}", block["text"]["text"], HEADER_TEXT)
        elif kind == "context" and len(block.get("elements", [])) > CONTEXT_ELEMENTS:
            problems.append(f"context {i}: {len(block['elements'])} elements (at most {CONTEXT_ELEMENTS})")
        elif kind == "actions":
            elements = block.get("elements", [])
            if len(elements) > ACTIONS_ELEMENTS:
                problems.append(f"actions {i}: {len(elements)} elements (at most {ACTIONS_ELEMENTS})")
            for button in elements:
                over(f"button in block {i}", button.get("text", {}).get("text", ""), BUTTON_TEXT)
                over(f"action_id in block {i}", button.get("action_id", ""), ACTION_ID)
                over(f"button value in block {i}", button.get("value", ""), BUTTON_VALUE)
        elif kind == "input" and int(block.get("element", {}).get("max_length", 0)) > INPUT_MAX_LENGTH:
            problems.append(f"input {i}: max_length over {INPUT_MAX_LENGTH}")
    return problems


def text_in_blocks(blocks: list[dict[str, Any]]) -> int:
    """Characters of text a message's blocks hold: every plain_text and mrkdwn object's text."""
    total, pending = 0, list(blocks)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict) and node.get("type") in ("plain_text", "mrkdwn"):
            total += len(str(node.get("text", "")))
        elif isinstance(node, dict):
            pending.extend(node.values())
    return total


def message_refusal(args: dict[str, Any]) -> str | None:
    """The error Slack answers a message with (chat.postMessage/postEphemeral/update, response_url)."""
    blocks = args.get("blocks") or []
    if block_kit_problems(blocks, max_blocks=MESSAGE_BLOCKS):
        return "invalid_blocks"
    if text_in_blocks(blocks) > MESSAGE_TEXT_TOTAL:
        return "msg_blocks_too_long"
    return None


def view_refusal(view: dict[str, Any]) -> str | None:
    """The error Slack answers views.open / views.publish with."""
    problems = block_kit_problems(view.get("blocks") or [], max_blocks=SURFACE_BLOCKS)
    for name in ("title", "submit", "close"):
        if len(str((view.get(name) or {}).get("text", ""))) > MODAL_TITLE:
            problems.append(f"{name} over {MODAL_TITLE} characters")
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        problems.append(f"private_metadata over {PRIVATE_METADATA} characters")
    return "invalid_arguments" if problems else None


@dataclass
class Call:
    """One request the app made: the Web API method (or "upload", "download", "response_url")."""

    method: str
    args: dict[str, Any]
    token: str | None
    status: int = 200
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)


@dataclass
class StoredFile:
    id: str
    name: str
    data: bytes
    title: str = ""
    user: str = ""
    channels: list[str] = field(default_factory=list)


@dataclass
class _Rule:
    method: str
    error: str
    match: dict[str, str]


class SlackError(Exception):
    """Answer the current call with {"ok": false, "error": ...}."""

    def __init__(self, error: str):
        self.error = error
        super().__init__(error)


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


class SlackStandIn:
    def __init__(
        self,
        *,
        team_id: str = "T0TEST",
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        bot_user_id: str = "U0BOT",
        app_id: str = "A0TEST",
    ):
        self.team_id = team_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.app_id = app_id
        self.tokens: dict[str, str] = {bot_token: team_id}  # bot token -> team
        self.oauth_codes: dict[str, str] = {}  # code -> team it installs into
        self.installer_id = "U0INSTALLER"  # who clicks "Allow" in an OAuth install (gets a user token)
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[Message]] = defaultdict(list)
        self.ephemeral: list[Message] = []
        self.opened_views: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.acks: list[dict[str, Any]] = []
        self._rules: list[_Rule] = []
        self._gone: dict[str, str] = {}  # user -> error their DM answers with
        self._forced_429: dict[str, deque[int]] = defaultdict(deque)
        self._throttle: tuple[int, float, int] | None = None  # (messages, per seconds, retry after)
        self._posted: dict[str, deque[float]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._ts = itertools.count(int(time.time()) * 1_000_000)
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.socket_connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> SlackStandIn:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackStandIn:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For AsyncWebClient(base_url=...): the trailing slash matters."""
        return f"{self.origin}/api/"

    def response_url(self, name: str = "") -> str:
        return f"{self.origin}/response/{name or next(self._ids)}"

    # arranging the world -------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        tz: str | None = "UTC",
        is_admin: bool = False,
        is_owner: bool = False,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        user = {
            "id": user_id, "team_id": team_id or self.team_id, "name": name or user_id.lower(),
            "real_name": name or user_id, "deleted": False, "is_admin": is_admin, "is_owner": is_owner,
            "is_bot": False, "profile": {"display_name": name or user_id, "real_name": name or user_id},
        }  # fmt: skip
        if tz is not None:
            user.update(tz=tz, tz_label=tz, tz_offset=0)
        self.users[user_id] = user
        return user

    def add_workspace(self, team_id: str, bot_token: str) -> None:
        self.tokens[bot_token] = team_id

    def add_oauth_code(self, code: str, team_id: str) -> None:
        """oauth.v2.access with `code` installs the app into `team_id` and issues a fresh bot token."""
        self.oauth_codes[code] = team_id

    def user_left(self, user_id: str, error: str = "account_inactive") -> None:
        """A deactivated user: users.info shows deleted, their DM answers `error`."""
        self._gone[user_id] = error
        if user_id in self.users:
            self.users[user_id]["deleted"] = True

    def fail(self, method: str, error: str, **match: str) -> None:
        """Answer `method` with `error` whenever its arguments include all of `match`."""
        self._rules.append(_Rule(method, error, match))

    def force_429(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        self._forced_429[method].extend([retry_after] * times)

    def throttle(self, messages: int = 1, per_seconds: float = 1.0, *, retry_after: int = 1) -> None:
        """Rate-limit chat.postMessage per channel, like Slack's ~1 message/s (with 429 + Retry-After)."""
        self._throttle = (messages, per_seconds, retry_after)

    def add_file(self, name: str, data: bytes, *, user: str, title: str = "") -> dict[str, Any]:
        """A file a user uploaded (e.g. shared in a DM); returns it as Slack shows it in events."""
        stored = StoredFile(f"F{next(self._ids):06d}", name, data, title or name, user)
        self.files[stored.id] = stored
        return self._file_json(stored)

    def dm_channel(self, user_id: str) -> str:
        return f"D{user_id}"

    # reading what happened ---------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self, channel: str | None = None) -> list[Message]:
        found = [m for msgs in self.messages.values() for m in msgs]
        return [m for m in found if channel is None or m.channel == channel]

    async def wait_for(self, method: str, count: int = 1, *, timeout: float = 5.0, failed: bool = False) -> list[Call]:
        """The first `count` successful (or, with `failed`, refused) calls to `method`, waiting for work
        the app does after ack()."""
        deadline = time.monotonic() + timeout
        while True:
            done = [c for c in self.calls_to(method) if (c.error is not None) == failed]
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(done)} of {count} {method} calls after {timeout}s: {self.calls_to(method)}")
            await asyncio.sleep(0.01)

    # Socket Mode -------------------------------------------------------------------------------
    async def push(self, envelope_type: str, payload: dict[str, Any], *, timeout: float = 5.0) -> dict[str, Any]:
        """Send a Socket Mode envelope (events_api | slash_commands | interactive); returns the app's ack."""
        await asyncio.wait_for(self.socket_connected.wait(), timeout)
        envelope_id = str(uuid.uuid4())
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = ack
        envelope = {
            "envelope_id": envelope_id, "type": envelope_type, "payload": payload,
            "accepts_response_payload": envelope_type != "events_api", "retry_attempt": 0, "retry_reason": "",
        }  # fmt: skip
        await self._sockets[-1].send_str(json.dumps(envelope))
        try:
            return await asyncio.wait_for(ack, timeout)
        finally:
            self._pending_acks.pop(envelope_id, None)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": self.app_id}})
        )
        self.socket_connected.set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(msg.data)
                self.acks.append(ack)
                pending = self._pending_acks.get(ack.get("envelope_id", ""))
                if pending is not None and not pending.done():
                    pending.set_result(ack)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self.socket_connected.clear()
        return ws

    # HTTP plumbing -----------------------------------------------------------------------------
    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        for name in JSON_ARGS:
            if isinstance(args.get(name), str) and args[name][:1] in "[{":
                args[name] = json.loads(args[name])
        return args

    @staticmethod
    def _token(request: web.Request, args: dict[str, Any]) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ")
        return args.pop("token", None)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, args, self._token(request, args))
        self.calls.append(call)
        retry_after = self._rate_limited(method, args)
        if retry_after is not None:
            call.status, call.error = 429, "ratelimited"
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        try:
            if handler is None:
                raise SlackError("unknown_method")
            self._authorize(method, call.token)
            self._apply_rules(method, args)
            body = handler(args, call.token)
        except SlackError as exc:
            call.error = exc.error
            return web.json_response({"ok": False, "error": exc.error})
        return web.json_response({"ok": True, **body})

    def _rate_limited(self, method: str, args: dict[str, Any]) -> int | None:
        if self._forced_429[method]:
            return self._forced_429[method].popleft()
        if method != "chat.postMessage" or self._throttle is None:
            return None
        limit, window, retry_after = self._throttle
        now, recent = time.monotonic(), self._posted[str(args.get("channel"))]
        while recent and recent[0] <= now - window:
            recent.popleft()
        if len(recent) >= limit:
            return retry_after
        recent.append(now)
        return None

    def _authorize(self, method: str, token: str | None) -> None:
        if method == "oauth.v2.access":
            return  # client credentials, no token
        if token is None:
            raise SlackError("not_authed")
        if method == "apps.connections.open":
            if token != self.app_token:
                raise SlackError("invalid_auth")
        elif token not in self.tokens:
            raise SlackError("invalid_auth")

    def _apply_rules(self, method: str, args: dict[str, Any]) -> None:
        for rule in self._rules:
            if rule.method == method and all(str(args.get(k)) == v for k, v in rule.match.items()):
                raise SlackError(rule.error)
        channel = str(args.get("channel") or args.get("channel_id") or "")
        for user_id, error in self._gone.items():
            if user_id in (args.get("users"), args.get("user")) or channel in (user_id, self.dm_channel(user_id)):
                if method != "users.info":
                    raise SlackError(error)

    def _channel(self, args: dict[str, Any]) -> str:
        channel = str(args.get("channel") or args.get("channel_id") or "")
        if not channel:
            raise SlackError("channel_not_found")
        return self.dm_channel(channel) if channel.startswith(("U", "W")) else channel

    def _next_ts(self) -> str:
        micro = next(self._ts)
        return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"

    def _file_json(self, f: StoredFile) -> dict[str, Any]:
        return {
            "id": f.id, "name": f.name, "title": f.title, "user": f.user, "size": len(f.data),
            "filetype": f.name.rsplit(".", 1)[-1], "mimetype": "text/plain", "channels": f.channels,
            "url_private": f"{self.origin}/files/{f.id}/{f.name}",
            "url_private_download": f"{self.origin}/files/{f.id}/{f.name}",
        }  # fmt: skip

    @staticmethod
    def _message_json(m: Message, with_metadata: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text, "blocks": m.blocks, "user": m.user}
        if m.thread_ts:
            out["thread_ts"] = m.thread_ts
        if with_metadata and m.metadata:
            out["metadata"] = m.metadata
        return out

    # Web API methods ---------------------------------------------------------------------------
    def _m_auth_test(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        return {
            "url": "https://stand-in.slack.test/", "team": "Stand-in", "user": "interview-bot",
            "team_id": self.tokens[token or ""], "user_id": self.bot_user_id, "bot_id": "B0BOT",
            "app_id": self.app_id, "is_enterprise_install": False,
        }  # fmt: skip

    def _m_apps_connections_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket?ticket={uuid.uuid4()}"}

    def _m_oauth_v2_access(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        team_id = self.oauth_codes.pop(str(args.get("code")), None)
        if team_id is None:
            raise SlackError("invalid_code")
        bot_token, user_token = (f"{kind}-{team_id}-{uuid.uuid4().hex[:8]}" for kind in ("xoxb", "xoxp"))
        self.tokens[bot_token] = self.tokens[user_token] = team_id
        return {
            "access_token": bot_token, "token_type": "bot", "scope": "chat:write,commands,im:history",
            "bot_user_id": self.bot_user_id, "app_id": self.app_id, "team": {"id": team_id, "name": team_id},
            "enterprise": None, "is_enterprise_install": False,
            "authed_user": {
                "id": self.installer_id, "scope": "users:read", "token_type": "user",
                "access_token": user_token,
            },
        }  # fmt: skip

    def _m_users_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _m_conversations_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        user_id = str(args.get("users", "")).split(",")[0]
        if user_id not in self.users:
            raise SlackError("user_not_found")
        return {"channel": {"id": self.dm_channel(user_id), "is_im": True, "user": user_id}}

    def _m_conversations_history(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = self._channel(args)
        limit = int(args.get("limit") or 100)
        newest_first = sorted(self.messages[channel], key=lambda m: m.ts, reverse=True)[:limit]
        with_metadata = _truthy(args.get("include_all_metadata"))
        return {"messages": [self._message_json(m, with_metadata) for m in newest_first], "has_more": False}

    def _m_chat_postMessage(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = self._channel(args)
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text")
        self._check_message(args)
        text = str(args.get("text", ""))[:FALLBACK_TEXT]
        message = Message(
            channel, self._next_ts(), text, list(args.get("blocks") or []), self.bot_user_id,
            thread_ts=args.get("thread_ts"), metadata=args.get("metadata"),
        )  # fmt: skip
        self.messages[channel].append(message)
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message, True)}

    @staticmethod
    def _check_message(args: dict[str, Any]) -> None:
        refusal = message_refusal(args)
        if refusal is not None:
            raise SlackError(refusal)

    def _m_chat_postEphemeral(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = self._channel(args)
        self._check_message(args)
        message = Message(
            channel, self._next_ts(), str(args.get("text", "")), list(args.get("blocks") or []), str(args.get("user"))
        )
        self.ephemeral.append(message)
        return {"message_ts": message.ts}

    def _m_chat_update(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = self._channel(args)
        self._check_message(args)
        for message in self.messages[channel]:
            if message.ts == args.get("ts"):
                message.text = str(args.get("text", message.text))
                message.blocks = list(args.get("blocks") or message.blocks)
                return {"channel": channel, "ts": message.ts}
        raise SlackError("message_not_found")

    @staticmethod
    def _check_view(view: dict[str, Any]) -> None:
        refusal = view_refusal(view)
        if refusal is not None:
            raise SlackError(refusal)

    def _m_views_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not args.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        self._check_view(args["view"])
        view = {**args["view"], "id": f"V{next(self._ids):06d}"}
        self.opened_views.append(view)
        return {"view": view}

    def _m_views_publish(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        self._check_view(args["view"])
        view = {**args["view"], "id": f"V{next(self._ids):06d}"}
        self.home_views[str(args.get("user_id"))] = view
        return {"view": view}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        stored = StoredFile(f"F{next(self._ids):06d}", str(args.get("filename")), b"")
        self.files[stored.id] = stored
        return {"upload_url": f"{self.origin}/upload/{stored.id}", "file_id": stored.id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        channel = self._channel(args) if args.get("channel_id") else None
        done = []
        for item in args.get("files") or []:
            stored = self.files.get(item["id"])
            if stored is None or not stored.data:
                raise SlackError("file_not_found")
            stored.title = item.get("title") or stored.name
            if channel:
                stored.channels.append(channel)
                message = Message(
                    channel, self._next_ts(), str(args.get("initial_comment") or ""), [], self.bot_user_id
                )
                message.thread_ts, message.files = args.get("thread_ts"), [stored.id]
                self.messages[channel].append(message)
            done.append(self._file_json(stored))
        return {"files": done}

    def _m_files_info(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        stored = self.files.get(str(args.get("file")))
        if stored is None:
            raise SlackError("file_not_found")
        return {"file": self._file_json(stored)}

    # non-API endpoints -------------------------------------------------------------------------
    async def _upload(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": request.match_info["file_id"], "size": len(data)}, None))
        if stored is None:
            return web.Response(status=404, text="not found")
        stored.data = data
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        call = Call("download", {"file_id": request.match_info["file_id"]}, token or None)
        self.calls.append(call)
        stored = self.files.get(request.match_info["file_id"])
        if token not in self.tokens:
            call.status = 403
            return web.Response(status=403, text="sign in to download")
        if stored is None:
            call.status = 404
            return web.Response(status=404, text="not found")
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _response_url(self, request: web.Request) -> web.Response:
        call = Call("response_url", {"hook": request.match_info["hook"], **await request.json()}, None)
        self.calls.append(call)
        call.error = message_refusal(call.args)
        if call.error is not None:
            call.status = 400
            return web.Response(status=400, text=call.error)
        return web.Response(text="ok")
