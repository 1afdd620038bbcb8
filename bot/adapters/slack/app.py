"""The slack-bolt AsyncApp: listeners that ack first, translate to a core use case, render the Reply.

Every listener acks before doing any work (Slack allows 3 seconds), then builds a LearnerRef and a
tenant ("slack:<team>") from the payload, calls the core, and hands the Reply to the Outbox. Domain
errors become friendly text in one place (`_reply`). Events redelivered by Slack (same event_id)
are dropped by a middleware that claims the id in the database.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from bot.adapters.outcome import settle
from bot.adapters.slack.installs import InstallFlow, multi_workspace, oauth_settings
from bot.adapters.slack.outbox import Destination, Outbox
from bot.adapters.slack.people import Directory
from bot.adapters.slack.render import (
    ACTION_PREFIX,
    ANSWER_BLOCK,
    ANSWER_CALLBACK,
    ANSWER_INPUT,
    answer_modal,
    home_view,
)
from bot.core import commands
from bot.core.actions import ActionKey
from bot.core.commands import Command
from bot.core.custom import MAX_IMPORT_BYTES
from bot.core.errors import DomainError, InvalidBank, InvalidInput, NotAllowed
from bot.core.mock import Where
from bot.core.practice import LearnerRef
from bot.core.replies import Reply, next_action
from bot.ops.logs import request_id
from bot.settings import Settings

log = logging.getLogger(__name__)

SLASH_COMMAND = "/interview"
# Exactly what slack/manifest.yaml asks for (a test keeps them equal).
BOT_SCOPES = (
    "channels:history",  # the push worker reads back its recent channel posts (message metadata)
    "chat:write",
    "chat:write.public",  # question of the day in a public channel without inviting the bot
    "commands",
    "files:read",  # YAML files shared with the bot
    "files:write",  # charts and exports
    "groups:history",  # as channels:history, for private channels the bot was invited to
    "im:history",  # message.im events, and the push worker's DM read-back
    "im:write",  # open a DM with a learner who never wrote to the bot
    "users:read",  # profile timezone and admin flag
)
BOLT_LOGGER = "slack_bolt.app"
CHANNEL_MENTION = re.compile(r"^<#(?P<id>[CG][A-Z0-9]+)(\|[^>]*)?>$")
YAML_SUFFIXES = (".yaml", ".yml")


class Core(Protocol):
    """The core services the adapter uses (bot.bootstrap.App provides them)."""

    engine: Any
    practice: Any
    buttons: Any
    custom: Any
    subscriptions: Any
    progress: Any
    accounts: Any
    inbound: Any
    metrics: Any
    health: Any
    plan: Any


@dataclass(frozen=True)
class Request:
    """Who is asking, in which workspace, and where the answer goes."""

    who: LearnerRef
    tenant: str
    to: Destination

    @property
    def team(self) -> str:
        return self.who.workspace


def retry_handlers() -> list[AsyncRetryHandler]:
    """Slack's 429s wait for Retry-After; dropped connections are retried."""
    return [AsyncConnectionErrorRetryHandler(max_retry_count=2), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]


class SlackBot:
    """The listeners. Holds no learner state: only caches of Slack lookups."""

    def __init__(self, core: Core, settings: Settings):
        self.core = core
        self.directory = Directory(settings.slack_admin_ids)
        self.outbox = Outbox(retry_handlers())
        self.file_origins = frozenset(_origin(o) for o in settings.slack_file_origins)
        self._zone_checked: set[tuple[str, str]] = set()  # (team, user) whose profile zone was offered

    def register(self, app: AsyncApp) -> None:
        app.middleware(self.drop_redeliveries)
        app.command(SLASH_COMMAND)(self.on_command)
        app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self.on_button)
        app.view(ANSWER_CALLBACK)(self.on_answer)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home)

    # middleware --------------------------------------------------------------------------------
    async def drop_redeliveries(self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> BoltResponse | None:
        """Slack redelivers an event it thinks failed (X-Slack-Retry-Num); only the first one runs."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await self.core.inbound.first_delivery(f"slack:{event_id}"):
            log.info("event %s already handled; redelivery dropped", event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    # listeners ---------------------------------------------------------------------------------
    async def on_command(self, ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        _tag(body)
        to = Destination(body["user_id"], response_url=body.get("response_url"))
        req = await self._request(client, body["user_id"], body["team_id"], to, body.get("user_name", ""))
        text = body.get("text", "")
        await self._answer(
            client, req.to, lambda: self._command(client, req, text, body.get("channel_id")), _command_name(text)
        )

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return
        _tag(body)
        to = Destination(event["user"], channel=event["channel"], in_dm=True)
        req = await self._request(client, event["user"], body.get("team_id") or event.get("team", ""), to)
        yaml_files = [f for f in event.get("files") or [] if f.get("name", "").lower().endswith(YAML_SUFFIXES)]
        if yaml_files:
            for shared in yaml_files:
                await self._answer(client, req.to, lambda f=shared: self._import(client, req, f), "import")
        elif event.get("files") and not event.get("text", "").strip():
            await self._answer(client, req.to, self._import_help, "import")
        else:
            text = event.get("text", "")
            await self._answer(client, req.to, lambda: self._command(client, req, text, None), _command_name(text))

    async def on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        _tag(body)
        key = action["action_id"].removeprefix(ACTION_PREFIX)
        user = body["user"]
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        in_dm = bool(channel and channel.startswith("D") and not container.get("is_ephemeral"))
        to = Destination(
            user["id"], channel=channel if in_dm else None, response_url=body.get("response_url"), in_dm=in_dm
        )
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        verb = self._verb(key)
        if verb in ("answer", "mnote"):  # the modal must open within 3 s of the click: no lookups first
            await self._answer(client, to, lambda: self._open_answer_box(client, body, key, to), f"button {verb}")
            return
        forget = verb == "forget"  # adopting a zone would store the learner again before deleting them
        req = await self._request(client, user["id"], team, to, user.get("username", ""), adopt_zone=not forget)
        await self._answer(
            client, req.to, lambda: self.core.buttons.press(req.who, key, tenant=req.tenant), f"button {verb or '?'}"
        )
        if forget:
            # The learner and every identity linked to it may be gone: whoever comes back is a first
            # contact again and starts in their Slack profile's timezone.
            self._zone_checked.clear()

    async def on_answer(self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        _tag(body)
        meta = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]
        to = Destination(
            user["id"],
            channel=meta.get("channel"),
            response_url=meta.get("response_url"),
            in_dm=bool(meta.get("in_dm")),
        )
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        req = await self._request(client, user["id"], team, to, user.get("username", ""))
        text = view["state"]["values"][ANSWER_BLOCK][ANSWER_INPUT].get("value") or ""
        key = meta.get("key", "")
        notes = self._verb(key) == "mnote"
        use_case = self.core.mocks.add_notes if notes else self.core.practice.submit_answer
        await self._answer(client, req.to, lambda: use_case(req.who, key, text, tenant=req.tenant), "notes" if notes else "answer")

    async def on_home(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        _tag(body)
        req = await self._request(client, event["user"], body.get("team_id", ""), Destination(event["user"]))
        with self.core.metrics.interaction("slack", "home") as tracked:
            reply = await settle(self.core.progress.stats(req.who, req.tenant), tracked)
            if reply is not None:
                await self.outbox.publish_home(
                    client, event["user"], home_view(reply, extra_actions=(next_action(None),))
                )

    # translation -------------------------------------------------------------------------------
    async def _command(self, client: AsyncWebClient, req: Request, text: str, here: str | None) -> Reply:
        """One text command -> one use case. `here` is the channel a slash command was typed in."""
        cmd = commands.parse(text)
        who, tenant = req.who, req.tenant
        core = self.core
        match cmd.name:
            case "question" | "review":
                return await core.practice.next_question(
                    who, cmd.category, cmd.level, reviews_only=cmd.name == "review", tenant=tenant
                )
            case "stats":
                return await core.progress.stats(who, tenant)
            case "chart":
                return await core.progress.chart(who, tenant)
            case "goal" if cmd.goal_date is None:
                return await core.plan.goal(who, tenant)
            case "goal":
                return await core.plan.set_goal(who, cmd.goal_date, cmd.categories, cmd.level, tenant)
            case "pace":
                return await core.plan.set_pace(who, cmd.new_per_day, cmd.max_reviews)
            case "subscribe":
                dm = req.to.channel if req.to.in_dm else None
                return await core.subscriptions.subscribe(
                    who, cmd.time, cmd.timezone, cmd.categories, tenant=tenant, dm_channel_id=dm
                )
            case "unsubscribe":
                return await core.subscriptions.unsubscribe(who)
            case "snooze":
                return await core.subscriptions.snooze(who, cmd.days)
            case "timezone":
                return await core.practice.set_timezone(who, cmd.timezone)
            case "leaderboard":
                return await core.progress.leaderboard(who, tenant, cmd.period)
            case "optout" | "optin":
                return await core.progress.set_leaderboard_opt_out(who, cmd.name == "optout")
            case "link":
                return await core.accounts.link(who, cmd.code) if cmd.code else await core.accounts.link_code(who)
            case "export" if cmd.subject == "questions":
                admin = await self._require_admin(client, req)
                return commands.questions_export_reply(await core.custom.export_yaml(tenant, is_admin=admin))
            case "export":
                return await core.accounts.export(who)
            case "forget-me":
                return await core.accounts.forget_prompt(who)
            case "qotd":
                return await self._qotd(client, req, cmd, here)
            case "import":
                return commands.import_help_reply()
            case "remove":
                admin = await self._require_admin(client, req)
                return await core.custom.remove(tenant, cmd.slug, is_admin=admin)
            case "mock" if cmd.subject == "history":
                return await core.mocks.history(who)
            case "mock" if cmd.category is None:
                return await core.mocks.current(who, tenant)
            case "mock":  # steps and nudges in the DM; from a slash command, privately where it was typed
                place = Where("slack", recipient=who.user_id, channel_id=req.to.channel if req.to.in_dm else None)
                return await core.mocks.start(who, cmd.category, minutes=cmd.minutes, level=cmd.level,
                                              tenant=tenant, where=place)  # fmt: skip
        return commands.help_reply()

    async def _qotd(self, client: AsyncWebClient, req: Request, cmd: Command, here: str | None) -> Reply:
        admin = await self._require_admin(client, req)
        channel = _channel_id(cmd.channel) if cmd.channel else None
        if cmd.off:
            return await self.core.subscriptions.qotd_off(
                req.who, tenant=req.tenant, channel_id=channel, is_admin=admin
            )
        channel = channel or (here if here and here.startswith(("C", "G")) else None)
        if channel is None:
            raise InvalidInput(commands.QOTD_HELP)
        return await self.core.subscriptions.qotd_set(
            req.who, tenant=req.tenant, channel_id=channel, time=cmd.time, timezone=cmd.timezone, is_admin=admin
        )

    async def _import(self, client: AsyncWebClient, req: Request, shared: dict[str, Any]) -> Reply:
        admin = await self._require_admin(client, req)
        data = await self._download(client, shared)
        return await self.core.custom.import_yaml(
            req.tenant, is_admin=admin, actor=f"slack:{req.who.user_id}", filename=shared["name"], data=data
        )

    async def _import_help(self) -> Reply:
        return commands.import_help_reply()

    async def _open_answer_box(self, client: AsyncWebClient, body: dict[str, Any], key: str, to: Destination) -> None:
        """The "Write an answer" modal; where to answer afterwards travels in its private_metadata."""
        header = next((b for b in (body.get("message") or {}).get("blocks", []) if b.get("type") == "header"), None)
        title = header["text"]["text"] if header else ""
        meta = {"key": key, "channel": to.channel, "response_url": to.response_url, "in_dm": to.in_dm}
        await client.views_open(trigger_id=body["trigger_id"], view=answer_modal(json.dumps(meta), title))

    # helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _verb(key: str) -> str:
        try:
            return ActionKey.parse(key).verb
        except DomainError:
            return ""  # buttons.press explains a key that is not ours

    async def _request(
        self, client: AsyncWebClient, user: str, team: str, to: Destination, name: str = "", *, adopt_zone: bool = True
    ) -> Request:
        """Who is asking, named as in their Slack profile. On first contact a learner without a chosen
        zone starts with their profile's (checked once per process)."""
        person = await self.directory.person(client, team, user)
        who = LearnerRef("slack", user, team, (person.name if person else "") or name)
        if adopt_zone and person is not None and (team, user) not in self._zone_checked:
            self._zone_checked.add((team, user))
            if person.timezone:
                await self.core.practice.adopt_timezone(who, person.timezone)
        return Request(who, f"slack:{team}", to)

    async def _require_admin(self, client: AsyncWebClient, req: Request) -> bool:
        """The adapter's own check; the core checks again with the answer."""
        if not await self.directory.is_admin(client, req.team, req.who.user_id):
            raise NotAllowed(commands.ADMIN_ONLY)
        return True

    async def _download(self, client: AsyncWebClient, shared: dict[str, Any]) -> bytes:
        """A shared file's bytes, with the bot token; at most one byte over the import limit."""
        url = shared.get("url_private_download")
        if not url:  # some events carry only the id ("file_access": "check_file_info")
            url = (await client.files_info(file=shared["id"]))["file"]["url_private_download"]
        if not self._on_slack(url):  # the bot token goes to Slack's file servers only
            log.warning("file %s not downloaded: %s is not in SLACK_FILE_ORIGINS", shared.get("id"), _origin(url))
            raise InvalidInput(commands.NOT_A_SLACK_FILE)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(url, headers={"Authorization": f"Bearer {client.token}"}) as response:
                if response.status != 200:
                    log.warning("download of %s failed: HTTP %s", shared.get("id"), response.status)
                    raise InvalidInput(commands.DOWNLOAD_FAILED)
                data = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > MAX_IMPORT_BYTES:  # the core names the limit; no need to read on
                        break
                return bytes(data)

    def _on_slack(self, url: str) -> bool:
        return _origin(url) in self.file_origins

    async def _answer(
        self, client: AsyncWebClient, to: Destination, make: Callable[[], Awaitable[Reply | None]], command: str
    ) -> None:
        """Run a use case and send its reply, timed and counted as `command` in the metrics."""
        with self.core.metrics.interaction("slack", command) as tracked:
            reply = await settle(make(), tracked)
            if reply is not None:
                await self.outbox.send(client, to, reply)


def _tag(body: dict[str, Any]) -> None:
    """This request's log lines carry Slack's id for it. A listener runs in a task of its own (as
    does each HTTP request), so the id stays with this request."""
    rid = body.get("event_id") or body.get("trigger_id")
    request_id.set(f"slack:{rid}" if rid else None)


def _command_name(text: str) -> str:
    """The command a text names, for the metrics ("unknown" when it names none)."""
    try:
        return commands.parse(text).name
    except DomainError:
        return "unknown"


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL (the port only when not the scheme's default); "" when not absolute."""
    try:
        parsed = URL(str(url))
        return str(parsed.origin()) if parsed.absolute else ""
    except ValueError:
        return ""


def _channel_id(mention: str) -> str:
    """`<#C123|name>` (how Slack sends a picked channel) -> C123."""
    found = CHANNEL_MENTION.match(mention)
    if found is None:
        raise InvalidInput(commands.QOTD_HELP)
    return found["id"]


def setup_problem(settings: Settings) -> str | None:
    """What is missing to run on Slack, in words for the person starting it; None when all is set."""
    if not multi_workspace(settings) and settings.slack_bot_token is None:
        return "set SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth install)"
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        return "set SLACK_SIGNING_SECRET (HTTP mode), or SLACK_APP_TOKEN for Socket Mode"
    return None


def install_flow(core: Core, settings: Settings) -> InstallFlow:
    return InstallFlow(
        settings=oauth_settings(settings, core.engine, BOT_SCOPES),
        store=core.practice.store,
        clock=core.practice.clock,
        limit=settings.slack_install_states,
    )


def create_app(core: Core, settings: Settings) -> AsyncApp:
    """An AsyncApp for one workspace (SLACK_BOT_TOKEN) or many (SLACK_CLIENT_ID/SECRET, OAuth install)."""
    problem = setup_problem(settings)
    if problem is not None:
        raise ValueError(problem)
    multi = multi_workspace(settings)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and not multi else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = AsyncApp(
        name=BOLT_LOGGER,  # Bolt names its loggers after the app: keep them under slack_bolt (bot.ops.logs)
        logger=logging.getLogger(BOLT_LOGGER),
        client=AsyncWebClient(token=token, base_url=settings.slack_api_url, retry_handlers=retry_handlers()),
        signing_secret=secret,  # Socket Mode requests are not signed; HTTP mode requires it (setup_problem)
        oauth_flow=install_flow(core, settings) if multi else None,
    )
    SlackBot(core, settings).register(app)
    return app
