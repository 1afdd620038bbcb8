"""The Slack adapter end to end: real slack-bolt in HTTP mode (and Socket Mode) against the loopback
SlackStandIn, the real core services (bot.bootstrap.build) on a real database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import struct
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from sqlalchemy import func, select

from bot.adapters.slack.app import create_app
from bot.adapters.slack.serve import web_app
from bot.bootstrap import App, build
from bot.core import charts
from bot.core.actions import ActionKey
from bot.core.practice import LearnerRef
from bot.settings import Settings
from storage.models import (
    Card,
    CustomQuestion,
    InboundEvent,
    Learner,
    PushTarget,
    Review,
    slack_installations,
)
from question_bank.loader import Bank
from tests.buttons import key
from tests.factories import small_bank
from tests.fakes.slack_api import SlackStandIn, StoredFile
from tests.fakes.slack_requests import (
    app_home_opened,
    block_actions,
    deliver,
    dm_message,
    event_callback,
    slash_command,
    view_submission,
)

SECRET = "stand-in-signing-secret"
LEARNER, ADMIN = "U0LEARNER", "U0ADMIN"


@dataclass
class Harness:
    slack: SlackStandIn
    app: App
    url: str
    session: aiohttp.ClientSession
    bolt: Any

    async def send(self, payload: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
        return await deliver(self.session, self.url, SECRET, payload, **kwargs)

    async def command(
        self, text: str, user: str = LEARNER, channel: str = "C0GENERAL", team: str = "T0TEST"
    ) -> dict[str, Any]:
        """A slash command and the reply it got through its response_url."""
        hook = self.slack.response_url()
        status, _ = await self.send(slash_command(text, user=user, channel=channel, response_url=hook, team=team))
        assert status == 200
        return await self.response(hook)

    async def click(
        self, reply: dict[str, Any], verb: str, rating: int | None = None, user: str = LEARNER, team: str = "T0TEST"
    ) -> dict[str, Any]:
        """Press a button of a reply (as the response_url got it) and return the reply to the click."""
        hook = self.slack.response_url()
        status, _ = await self.send(
            block_actions(button(reply, verb, rating), user=user, channel="C0GENERAL", response_url=hook, team=team)
        )
        assert status == 200
        return await self.response(hook)

    async def review(self, user: str = LEARNER) -> str:
        """Ask for a databases question, reveal it and grade it Solid; returns the question id."""
        question = await self.command("question databases", user=user)
        graded = await self.click(await self.click(question, "reveal", user=user), "grade", 3, user=user)
        assert header(graded) == "Recorded: Solid"
        return ActionKey.parse(button(question, "reveal").removeprefix("ipb:")).question_id

    async def dm(self, text: str, user: str = LEARNER) -> dict[str, Any]:
        """Write to the bot in the DM; returns the message it posted back."""
        sent = len(self.slack.calls_to("chat.postMessage"))
        await self.send(event_callback(dm_message(text, user=user)))
        posted = (await self.slack.wait_for("chat.postMessage", sent + 1))[sent]
        assert posted.args["channel"] == f"D{user}"
        return posted.args

    async def uploaded(self, name: str) -> StoredFile:
        """The file the app uploaded with files_upload_v2, once the upload is complete."""
        await self.slack.wait_for("files.completeUploadExternal")
        (stored,) = [f for f in self.slack.files.values() if f.name == name]
        return stored

    async def response(self, hook: str) -> dict[str, Any]:
        name = hook.rsplit("/", 1)[-1]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for call in self.slack.calls_to("response_url"):
                if call.args["hook"] == name:
                    assert call.error is None, f"Slack refused the reply: {call.error}"
                    return call.args
            await asyncio.sleep(0.01)
        raise TimeoutError(f"no reply through {hook}")


def button(message: dict[str, Any], verb: str, rating: int | None = None) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            key = ActionKey.parse(element["value"])
            if key.verb == verb and (rating is None or key.rating == rating):
                return element["action_id"]
    raise AssertionError(f"no {verb} button in {message['blocks']}")


def header(message: dict[str, Any]) -> str:
    return message["blocks"][0]["text"]["text"]


def text_of(message: dict[str, Any]) -> str:
    """Every mrkdwn text of a message's sections and context lines, one per line."""
    texts = []
    for block in message["blocks"]:
        texts += [block["text"]["text"]] if block["type"] == "section" and "text" in block else []
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", []) if block["type"] == "context"]
    return "\n".join(texts)


def field(message: dict[str, Any], name: str) -> str:
    """The value of a Reply field as rendered in a section's fields ("*Name*\\nvalue")."""
    for block in message["blocks"]:
        for f in block.get("fields", []):
            title, _, value = f["text"].partition("\n")
            if title == f"*{name}*":
                return value
    raise AssertionError(f"no field {name!r} in {message['blocks']}")


async def rows(engine, model) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


def settings_for(slack: SlackStandIn, **extra: Any) -> Settings:
    return Settings(
        SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=slack.base_url,
        SLACK_FILE_ORIGINS=slack.origin, FSRS_FUZZ=False, DEFAULT_TIMEZONE="UTC", FEEDBACK_TIMEOUT=10, **extra,
    )  # fmt: skip


async def serve(bolt, settings: Settings) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(web_app(bolt, settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def started(engine, clock, bank: Bank) -> AsyncIterator[Harness]:
    """The Slack app on `bank`, served on loopback against a fresh stand-in with a learner and an admin."""
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        slack.add_user(LEARNER, name="ada", tz="America/New_York")
        slack.add_user(ADMIN, name="root", tz="Europe/Berlin", is_admin=True)
        settings = settings_for(slack)
        app = build(settings, bank=bank, engine=engine, clock=clock)
        bolt = create_app(app, settings)
        runner, base = await serve(bolt, settings)
        try:
            yield Harness(slack, app, base + "/slack/events", session, bolt)
        finally:
            await runner.cleanup()


@pytest.fixture
async def harness(engine, clock):
    async with started(engine, clock, small_bank()) as running:
        yield running


# practice through slash commands, buttons and the answer modal ---------------------------------------
async def test_slash_command_question_reveal_and_grade_store_a_review(harness, engine):
    question = await harness.command("question databases")
    assert question["response_type"] == "ephemeral" and question["replace_original"] is False
    assert header(question).startswith("Question db-")
    revealed = await harness.click(question, "reveal")
    assert header(revealed).startswith("Key points")
    graded = await harness.click(revealed, "grade", 3)
    assert header(graded) == "Recorded: Solid"
    assert await rows(engine, Card) == 1 and await rows(engine, Review) == 1
    again = await harness.click(revealed, "grade", 3)  # a repeated click changes nothing
    assert header(again) == "Already recorded" and await rows(engine, Review) == 1


async def test_first_contact_adopts_the_slack_profile_timezone_until_the_learner_chooses(harness, engine):
    await harness.command("stats")
    async with engine.connect() as conn:
        learner = (await conn.execute(select(Learner.timezone, Learner.display_name))).one()
    assert tuple(learner) == ("America/New_York", "ada")  # named as in their Slack profile
    chosen = await harness.command("timezone europe/paris")
    assert header(chosen) == "Timezone saved"
    async with engine.connect() as conn:
        assert (await conn.execute(select(Learner.timezone))).scalar_one() == "Europe/Paris"
    assert len(harness.slack.calls_to("users.info")) == 1  # looked up once per process


async def test_written_answer_goes_through_a_modal_and_is_kept_with_the_grade(harness, engine):
    question = await harness.command("question")
    hook = harness.slack.response_url()
    click = block_actions(button(question, "answer"), user=LEARNER, channel="C0GENERAL", response_url=hook)
    assert (await harness.send(click))[0] == 200
    (opened,) = [c.args for c in await harness.slack.wait_for("views.open")]
    modal = harness.slack.opened_views[-1]
    assert modal["callback_id"] == "ipb:answer" and opened["trigger_id"] == click["trigger_id"]
    submitted = view_submission(modal, {"answer": {"text": "B-tree on (user_id, created_at)"}}, user=LEARNER)
    assert (await harness.send(submitted))[0] == 200
    revealed = await harness.response(hook)  # the reply goes where the button was
    assert header(revealed).startswith("Key points")
    await harness.click(revealed, "grade", 4)
    async with engine.connect() as conn:
        assert (await conn.execute(select(Review.answer_text))).scalar_one() == "B-tree on (user_id, created_at)"


async def test_stale_and_foreign_buttons_are_answered_politely(harness, engine):
    reply = await harness.click({"blocks": [{"type": "actions", "elements": [
        {"action_id": "ipb:grade:db-a:7:3", "value": "grade:db-a:7:3"}]}]}, "grade")  # fmt: skip
    assert header(reply) == "Nothing changed"
    assert await rows(engine, Review) == 0


# direct messages -----------------------------------------------------------------------------------
async def test_dm_messages_are_answered_in_the_dm_with_block_kit(harness, engine):
    assert (await harness.send(event_callback(dm_message("Question please", user=LEARNER))))[0] == 200
    (posted,) = await harness.slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == f"D{LEARNER}" and posted.args["blocks"][0]["type"] == "header"
    assert any(b["type"] == "actions" for b in posted.args["blocks"])
    await harness.send(event_callback(dm_message("questoin", user=LEARNER)))
    _, suggestion = await harness.slack.wait_for("chat.postMessage", 2)
    assert "Did you mean *question*?" in json.dumps(suggestion.args["blocks"])
    assert await rows(engine, Card) == 1


async def test_daily_question_commands_in_the_dm_are_stored_for_the_push_worker(harness, engine):
    await harness.send(event_callback(dm_message("subscribe 8:30 pm Europe/Berlin databases", user=LEARNER)))
    (subscribed,) = await harness.slack.wait_for("chat.postMessage")
    await harness.send(event_callback(dm_message("snooze 3", user=LEARNER)))
    _, snoozed = await harness.slack.wait_for("chat.postMessage", 2)
    assert (header(subscribed.args), header(snoozed.args)) == ("Daily question on", "Daily question snoozed")
    async with engine.connect() as conn:
        target = (await conn.execute(select(PushTarget))).one()
    assert (target.kind, target.platform, target.tenant, target.recipient, target.channel_id) == (
        "dm", "slack", "slack:T0TEST", LEARNER, f"D{LEARNER}",
    )  # fmt: skip
    assert (target.local_time, target.timezone, target.categories) == ("20:30", "Europe/Berlin", ["databases"])
    assert target.paused_until is not None
    await harness.send(event_callback(dm_message("unsubscribe", user=LEARNER)))
    await harness.slack.wait_for("chat.postMessage", 3)
    async with engine.connect() as conn:
        assert (await conn.execute(select(PushTarget.active))).scalar_one() is False


# progress: stats, chart, leaderboard -----------------------------------------------------------------
async def test_stats_shows_the_graded_review(harness):
    qid = await harness.review()
    stats = await harness.command("stats")
    assert header(stats) == "Your progress" and stats["response_type"] == "ephemeral"
    assert (field(stats, "Reviews"), field(stats, "Due today"), field(stats, "New today")) == (
        "1 (1 today)", "0", "1 of 5",
    )  # fmt: skip
    assert "*Streak:* 1 day · practised today" in text_of(stats)
    (topic,) = harness.app.bank.get(qid).topics  # type: ignore[union-attr]
    assert button(stats, "topic") == f"ipb:topic:{topic}:0"  # its topic is the weakest: one click away


async def test_chart_uploads_a_png_to_the_learners_dm(harness):
    await harness.review()
    reply = await harness.command("chart", channel="C0GENERAL")
    assert header(reply) == "Your progress chart"
    assert "direct messages" in text_of(reply)  # the file is not posted into the shared channel
    chart = await harness.uploaded("progress.png")
    assert chart.channels == [f"D{LEARNER}"]
    assert chart.data[:8] == b"\x89PNG\r\n\x1a\n" and chart.data[12:16] == b"IHDR"
    assert struct.unpack(">II", chart.data[16:24]) == (charts.WIDTH_PX, charts.HEIGHT_PX)


async def test_leaderboard_lists_who_reviewed_here_and_not_who_opted_out(harness):
    await harness.review(LEARNER)
    await harness.review(ADMIN)
    hidden = await harness.dm("optout", user=ADMIN)
    assert header(hidden) == "Hidden from leaderboards"
    board = await harness.command("leaderboard all")
    assert header(board) == "Leaderboard · all time"
    assert "*1.* ada · 1 day · 1 review ← you" in text_of(board)
    assert "root" not in text_of(board)


# accounts: link, export, forget me -------------------------------------------------------------------
async def test_a_link_code_from_slack_joins_a_console_learner_to_one_schedule(harness):
    await harness.review()
    code_reply = await harness.dm("link")
    assert header(code_reply) == "Your link code"
    code = re.search(r"\*(\d{6})\*", text_of(code_reply))[1]  # type: ignore[index]
    typo = await harness.dm("link 12345")  # refused, and not taken as asking for a new code
    assert "A link code is 6 digits" in text_of(typo)
    console = LearnerRef("console", "ada-laptop", display_name="ada")
    app = harness.app
    question = await app.practice.next_question(console, "backend")  # the console learner's own review
    revealed = await app.buttons.press(console, key(question, "reveal"))
    await app.buttons.press(console, key(revealed, "grade", 3))
    linked = await app.accounts.link(console, code)
    assert linked.title == "Accounts linked"
    stats = await harness.dm("stats")
    assert field(stats, "Reviews") == "2 (2 today)"  # the console review now counts in Slack
    console_stats = await app.progress.stats(console)
    assert {f.name: f.value for f in console_stats.fields}["Reviews"] == "2 (2 today)"
    async with app.engine.connect() as conn:
        owners = (await conn.execute(select(func.coalesce(Learner.merged_into, Learner.id)))).scalars().all()
    assert len(set(owners)) == 1  # both identities resolve to one learner


async def test_export_uploads_my_data_json_with_the_review(harness):
    qid = await harness.review()
    reply = await harness.dm("export")
    assert header(reply) == "Your data"
    export = await harness.uploaded("my-data.json")
    assert export.channels == [f"D{LEARNER}"]
    document = json.loads(export.data)
    assert [(r["question_id"], r["rating"], r["tenant"]) for r in document["reviews"]] == [(qid, 3, "slack:T0TEST")]
    assert document["identities"][0]["platform_user_id"] == LEARNER


async def test_forget_me_deletes_the_clickers_rows_after_the_confirmation(harness, engine):
    await harness.review(LEARNER)
    await harness.review(ADMIN)
    counted = (Learner, Card, Review)
    assert [await rows(engine, model) for model in counted] == [2, 2, 2]
    prompt = await harness.command("forget-me")
    assert header(prompt) == "Delete all your data?"
    assert [await rows(engine, model) for model in counted] == [2, 2, 2]  # asking deletes nothing
    done = await harness.click(prompt, "forget")
    assert header(done) == "Your data is deleted"
    assert [await rows(engine, model) for model in counted] == [1, 1, 1]  # the other learner keeps theirs
    async with engine.connect() as conn:
        assert (await conn.execute(select(Learner.platform_user_id))).scalar_one() == ADMIN
    again = await harness.click(prompt, "forget")  # the same button again: nothing stored, nothing to delete
    assert header(again) == "Nothing changed" and await rows(engine, Learner) == 1
    await harness.command("stats")  # coming back starts afresh, in the Slack profile's timezone again
    async with engine.connect() as conn:
        zones = dict((await conn.execute(select(Learner.platform_user_id, Learner.timezone))).all())
    assert zones == {ADMIN: "Europe/Berlin", LEARNER: "America/New_York"}


# admins: question of the day and custom questions ----------------------------------------------------
async def channel_targets(engine) -> list[tuple[str | None, str | None, bool]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(PushTarget.channel_id, PushTarget.tenant, PushTarget.active))
        return [tuple(r) for r in rows]


async def test_qotd_needs_an_admin_in_the_adapter_and_the_core(harness, engine):
    refused = await harness.command("qotd set <#C0QOTD|interviews> 09:00 Europe/Berlin", user=LEARNER)
    assert header(refused) == "Not allowed" and await channel_targets(engine) == []
    await harness.command("qotd set 09:00 Europe/Berlin", user=ADMIN, channel="C0QOTD")  # "here"
    assert await channel_targets(engine) == [("C0QOTD", "slack:T0TEST", True)]
    await harness.command("qotd off <#C0QOTD|interviews>", user=ADMIN)
    assert await channel_targets(engine) == [("C0QOTD", "slack:T0TEST", False)]
    unclear = await harness.command("qotd set 09:00 Europe/Berlin", user=ADMIN, channel=f"D{ADMIN}")
    assert "qotd set #channel" in json.dumps(unclear["blocks"])  # not in a channel and none named


async def test_configured_admin_ids_count_as_admins(engine, clock):
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        slack.add_user("U0HELPER")
        settings = settings_for(slack, SLACK_ADMIN_IDS="U0HELPER")
        app = build(settings, bank=small_bank(), engine=engine, clock=clock)
        runner, base = await serve(create_app(app, settings), settings)
        try:
            h = Harness(slack, app, base + "/slack/events", session, None)
            await h.command("qotd set 09:00 UTC", user="U0HELPER", channel="C0QOTD")
            assert await channel_targets(engine) == [("C0QOTD", "slack:T0TEST", True)]
        finally:
            await runner.cleanup()


CUSTOM_YAML = """\
schema_version: 1
questions:
  - id: our-deploys
    category: backend
    title: Our deploy pipeline
    prompt: Walk through how a change reaches production here, and where it could fail at two in the morning.
    level: mid
    difficulty: medium
    time_box_minutes: 10
    topics: [http]
    key_points: [Build once, Canary first, Roll back fast]
    outline: [Build, Test, Canary, Promote]
    follow_ups:
      - question: What if the canary is fine but users complain?
        probes: observability
      - question: How do you roll back a migration?
        probes: data safety
    pitfalls: [Deploying on Friday]
    hints: [Think about the blast radius]
"""


async def test_an_admin_imports_questions_by_sharing_a_yaml_file_in_the_dm(harness, engine):
    slack = harness.slack
    shared = slack.add_file("ours.yaml", CUSTOM_YAML.encode(), user=ADMIN)
    await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
    (posted,) = await slack.wait_for("chat.postMessage")
    assert "1 added, 0 updated from ours.yaml" in json.dumps(posted.args["blocks"])
    assert await rows(engine, CustomQuestion) == 1
    assert slack.calls_to("download")[0].token == slack.bot_token

    other = slack.add_file("mine.yaml", CUSTOM_YAML.encode(), user=LEARNER)
    await harness.send(event_callback(dm_message("", user=LEARNER, files=[other])))
    _, refused = await slack.wait_for("chat.postMessage", 2)
    assert "Not allowed" in json.dumps(refused.args["blocks"])
    assert len(slack.calls_to("download")) == 1  # a non-admin's file is never even fetched


async def test_the_bot_token_goes_only_to_slacks_file_servers(harness, engine):
    assert Settings(_env_file=None).slack_file_origins == ("https://files.slack.com",)  # production: Slack's only
    async with SlackStandIn(bot_token="xoxb-elsewhere") as elsewhere:  # another host on loopback
        planted = elsewhere.add_file("ours.yaml", CUSTOM_YAML.encode(), user=ADMIN)
        shared = harness.slack.add_file("ours.yaml", b"", user=ADMIN)
        shared["url_private_download"] = planted["url_private_download"]
        await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
        (posted,) = await harness.slack.wait_for("chat.postMessage")
        assert elsewhere.calls_to("download") == []  # never asked, so never given the token
    assert "not on Slack's file servers" in json.dumps(posted.args["blocks"])
    assert await rows(engine, CustomQuestion) == 0


async def test_a_broken_yaml_file_lists_its_problems_and_stores_nothing(harness, engine):
    shared = harness.slack.add_file("bad.yaml", b"schema_version: 1\nquestions:\n  - id: Not A Slug\n", user=ADMIN)
    await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
    (posted,) = await harness.slack.wait_for("chat.postMessage")
    assert "problems in the questions" in json.dumps(posted.args["blocks"])
    assert await rows(engine, CustomQuestion) == 0


def long_question_yaml() -> bytes:
    """A valid question whose prompt, outline and pitfalls hold ~30,000 characters."""
    paragraph = "Explain how the system behaves when this part fails, and what the on-call engineer sees. " * 6
    question = yaml.safe_load(CUSTOM_YAML)["questions"][0] | {
        "id": "our-long-one", "title": "Our longest question", "level": "staff", "prompt": "\n".join(f"{i}. {paragraph}" for i in range(40)),
        "outline": [f"Step {i}: " + "consider the blast radius and the rollback. " * 20 for i in range(12)],
        "pitfalls": [f"Pitfall {i}: " + "forgetting the on-call runbook. " * 25 for i in range(8)],
    }  # fmt: skip
    return yaml.safe_dump({"schema_version": 1, "questions": [question]}).encode()


async def test_a_long_imported_question_is_shortened_to_what_slack_accepts(harness, engine):
    shared = harness.slack.add_file("long.yaml", long_question_yaml(), user=ADMIN)
    await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
    (imported,) = await harness.slack.wait_for("chat.postMessage")
    assert "1 added" in json.dumps(imported.args["blocks"])
    question = await harness.command("question backend staff")  # refused replies fail in harness.response
    assert header(question) == "Our longest question"
    assert re.search(r"… and \d+ more lines: shortened to fit in Slack", text_of(question))
    revealed = await harness.click(question, "reveal")
    assert header(revealed).startswith("Key points") and "Canary first" in text_of(revealed)
    assert button(revealed, "grade", 3)  # the grade buttons survive the shortening


async def test_a_broken_import_with_many_long_errors_is_listed_within_slacks_limits(harness, engine):
    questions = [{"id": f"Not A Slug {i} " + "x" * 2000, "category": "backend"} for i in range(30)]
    data = yaml.safe_dump({"schema_version": 1, "questions": questions}).encode()
    shared = harness.slack.add_file("bad.yaml", data, user=ADMIN)
    await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
    (posted,) = await harness.slack.wait_for("chat.postMessage")  # wait_for counts accepted posts only
    assert header(posted.args) == "330 problems in the questions"
    assert re.search(r"… and \d+ more lines: shortened to fit in Slack", text_of(posted.args))
    assert await rows(engine, CustomQuestion) == 0


# App Home ------------------------------------------------------------------------------------------
async def test_app_home_shows_real_progress_and_a_next_question_button_that_answers_in_the_dm(harness, engine):
    await harness.review()
    await harness.send(event_callback(app_home_opened(LEARNER)))
    await harness.slack.wait_for("views.publish")
    home = harness.slack.home_views[LEARNER]
    assert home["type"] == "home" and header(home) == "Your progress"
    assert (field(home, "Reviews"), field(home, "Due today")) == ("1 (1 today)", "0")
    click = block_actions(button(home, "next"), user=LEARNER, channel="", response_url="", container_type="view")
    del click["response_url"], click["channel"]  # a click in App Home has neither
    await harness.send(click)
    (posted,) = await harness.slack.wait_for("chat.postMessage")
    assert harness.slack.calls_to("conversations.open")[0].args["users"] == LEARNER  # a DM they never opened
    assert posted.args["channel"] == f"D{LEARNER}" and header(posted.args).startswith("Question ")
    assert await rows(engine, Card) == 2


# the question of the day, clicked in a channel -------------------------------------------------------
async def test_open_button_on_a_channel_post_gives_the_clicker_a_private_question(harness, engine):
    qotd = {"ts": "1.000100", "blocks": [{"type": "actions", "elements": [
        {"action_id": "ipb:open:sd-a:0", "value": "open:sd-a:0"}]}]}  # fmt: skip
    hook = harness.slack.response_url()
    await harness.send(block_actions("ipb:open:sd-a:0", user=ADMIN, channel="C0QOTD", response_url=hook, message=qotd))
    private = await harness.response(hook)
    assert private["response_type"] == "ephemeral" and header(private) == "Question sd-a"
    assert button(private, "reveal") == "ipb:reveal:sd-a:0"
    assert await rows(engine, Card) == 1


# transport guarantees -----------------------------------------------------------------------------
async def test_forged_and_replayed_requests_get_401_and_change_nothing(harness, engine):
    payload = slash_command("question", user=LEARNER, channel="C1", response_url=harness.slack.response_url())
    forged = await deliver(harness.session, harness.url, "not-the-secret", payload)
    replayed = await harness.send(payload, timestamp=int(time.time()) - 301)
    event = await deliver(harness.session, harness.url, "nope", event_callback(dm_message("question", user=LEARNER)))
    assert [forged[0], replayed[0], event[0]] == [401, 401, 401]
    assert harness.slack.calls == []
    for model in (Learner, Card, InboundEvent):
        assert await rows(engine, model) == 0


async def test_a_retried_event_is_handled_once(harness, engine):
    event = event_callback(dm_message("question", user=LEARNER), event_id="Ev0RETRIED")
    assert (await harness.send(event))[0] == 200
    await harness.slack.wait_for("chat.postMessage")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await harness.send(event, headers=retry))[0] == 200
    await harness.send(event_callback(dm_message("help", user=LEARNER)))
    first, second = await harness.slack.wait_for("chat.postMessage", 2)
    assert header(second.args) == "Interview practice: what I understand"
    assert len(harness.slack.calls_to("chat.postMessage")) == 2
    assert await rows(engine, InboundEvent) == 2 and await rows(engine, Card) == 1


async def test_429_retry_after_is_honoured(harness):
    harness.slack.force_429("chat.postMessage", retry_after=1)
    await harness.send(event_callback(dm_message("help", user=LEARNER)))
    await harness.slack.wait_for("chat.postMessage", timeout=10)
    limited, delivered = harness.slack.calls_to("chat.postMessage")
    assert limited.status == 429 and delivered.status == 200
    assert delivered.at - limited.at >= 1.0


async def test_a_learner_who_left_is_logged_and_keeps_their_data(harness, engine, caplog):
    harness.slack.add_user("U0GONE", tz="Asia/Tokyo")
    harness.slack.user_left("U0GONE")
    with caplog.at_level(logging.WARNING, logger="bot.adapters.slack"):
        await harness.send(event_callback(dm_message("question", user="U0GONE")))
        await harness.slack.wait_for("chat.postMessage", failed=True)
        deadline = time.monotonic() + 5
        while "account_inactive" not in caplog.text and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    assert "could not reach Slack user U0GONE (account_inactive)" in caplog.text
    assert await rows(engine, Card) == 1  # the question was served and kept


# Socket Mode ---------------------------------------------------------------------------------------
async def test_socket_mode_through_the_loopback_websocket(harness, engine):
    handler = AsyncSocketModeHandler(harness.bolt, harness.slack.app_token)
    await handler.connect_async()
    try:
        ack = await harness.slack.push("events_api", event_callback(dm_message("question", user=LEARNER)))
        assert "envelope_id" in ack
        (posted,) = await harness.slack.wait_for("chat.postMessage")
        assert posted.args["channel"] == f"D{LEARNER}"
        hook = harness.slack.response_url()
        await harness.slack.push(
            "slash_commands", slash_command("review", user=LEARNER, channel="C1", response_url=hook)
        )
        review = await harness.response(hook)
        dm_hook = harness.slack.response_url()
        message = {"ts": posted.args.get("ts", "1.0"), "blocks": posted.args["blocks"]}
        click = block_actions(
            button(posted.args, "reveal"), user=LEARNER, channel=f"D{LEARNER}", response_url=dm_hook, message=message
        )
        await harness.slack.push("interactive", click)
        revealed = await harness.response(dm_hook)
    finally:
        await handler.close_async()
    assert review["response_type"] == "ephemeral" and header(review) == "All caught up"
    assert revealed["response_type"] == "in_channel" and header(revealed).startswith("Key points")  # stays in the DM
    assert await rows(engine, Card) == 1


# multi-workspace OAuth install -----------------------------------------------------------------------
def oauth_settings_for(slack: SlackStandIn) -> Settings:
    return Settings(
        SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="client-secret", SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url, FSRS_FUZZ=False,
    )  # fmt: skip


async def install(session: aiohttp.ClientSession, base: str, slack: SlackStandIn, team: str) -> None:
    """An admin of `team` goes through /slack/install and allows the app."""
    async with session.get(base + "/slack/install") as page:
        assert page.status == 200
        state = (await page.text()).split("state=", 1)[1].split('"', 1)[0].split("&", 1)[0]
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]  # Secure: a browser would send it over https
    slack.add_oauth_code(f"code-{team}", team)
    async with session.get(
        f"{base}/slack/oauth_redirect?code=code-{team}&state={state}", headers={"Cookie": cookie}
    ) as done:
        assert done.status == 200, await done.text()


async def test_oauth_install_stores_the_workspace_and_its_token_serves_it(engine, clock):
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        slack.add_user("U0NEW", tz="Asia/Kolkata", team_id="T0NEW")
        settings = oauth_settings_for(slack)
        app = build(settings, bank=small_bank(), engine=engine, clock=clock)
        runner, base = await serve(create_app(app, settings), settings)
        try:
            await install(session, base, slack, "T0NEW")
            (issued,) = [c for c in slack.calls_to("oauth.v2.access") if c.error is None]
            assert issued.args["code"] == "code-T0NEW"
            h = Harness(slack, app, base + "/slack/events", session, None)
            assert await rows(engine, slack_installations) == 1
            reply = await h.command("question", user="U0NEW", team="T0NEW")
            assert header(reply).startswith("Question ")
            new_token = next(t for t, team in slack.tokens.items() if team == "T0NEW")
            assert slack.calls_to("users.info")[-1].token == new_token
        finally:
            await runner.cleanup()


async def test_forget_me_removes_the_installers_user_id_and_token_and_the_install_keeps_working(engine, clock):
    async with SlackStandIn() as slack, aiohttp.ClientSession() as session:
        installer = slack.installer_id
        slack.add_user(installer, team_id="T0NEW")
        slack.add_user("U0NEW", team_id="T0NEW")
        settings = oauth_settings_for(slack)
        app = build(settings, bank=small_bank(), engine=engine, clock=clock)
        runner, base = await serve(create_app(app, settings), settings)
        try:
            await install(session, base, slack, "T0NEW")
            h = Harness(slack, app, base + "/slack/events", session, None)
            await h.command("question", user=installer, team="T0NEW")
            async with engine.connect() as conn:
                columns = (slack_installations.c.user_id, slack_installations.c.user_token)
                before = (await conn.execute(select(*columns))).one()
            assert before.user_id == installer and before.user_token.startswith("xoxp-")
            prompt = await h.command("forget-me", user=installer, team="T0NEW")
            done = await h.click(prompt, "forget", user=installer, team="T0NEW")
            assert header(done) == "Your data is deleted"
            assert "your user id and user token are removed from that install" in text_of(done)
            async with engine.connect() as conn:
                installs = (await conn.execute(select(slack_installations))).mappings().all()
            assert [(i["user_id"], i["user_token"], i["user_scopes"]) for i in installs] == [("", None, None)]
            assert installs[0]["bot_token"].startswith("xoxb-T0NEW")
            assert installer not in json.dumps([dict(i) for i in installs], default=str)
            reply = await h.command("question", user="U0NEW", team="T0NEW")  # the workspace still works
            assert header(reply).startswith("Question ")
        finally:
            await runner.cleanup()
