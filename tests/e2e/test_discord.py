"""The Discord adapter end to end: the real discord.py client against the loopback stand-in, the
real core and a real SQLite database. Every assertion is on what Discord received or what was stored."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
import pytest
import yarl
from sqlalchemy import func, select

from bot.adapters.discord.client import PracticeBot, sync
from bot.bootstrap import App, build
from bot.core.actions import ActionKey
from bot.settings import Settings
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.models import Card, CustomQuestion, Learner, PushTarget, Review
from tests.e2e.test_cli import ROOT, cli
from tests.conftest import default_database
from tests.factories import small_bank
from tests.fakes.discord_api import (
    CALLBACK,
    CREATE_DM,
    CREATE_MESSAGE,
    EDIT_ORIGINAL,
    FOLLOWUP,
    DiscordStandIn,
    Recorded,
)
from tests.fakes.discord_payloads import (
    GUILD_ID,
    MANAGE_GUILD,
    attachment_option,
    autocomplete,
    channel_option,
    click,
    custom_ids,
    modal_submit,
    slash,
)

ALICE, BOB = 100000000000000001, 100000000000000002
EPHEMERAL = 64


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    async with DiscordStandIn() as server:
        yield server


@pytest.fixture
def discord_api(standin, monkeypatch):
    """discord.py talks to the stand-in; monkeypatch restores both class attributes afterwards."""
    monkeypatch.setattr(discord.http.Route, "BASE", standin.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(standin.gateway_url))
    return standin


@asynccontextmanager
async def app_on(tmp_path, clock, bank: Bank) -> AsyncIterator[App]:
    """The application on `bank` and a fresh SQLite file, as the Discord process builds it."""
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(engine)
    yield build(Settings(_env_file=None, FSRS_FUZZ=False, FEEDBACK_TIMEOUT=10), bank=bank, engine=engine, clock=clock)
    await engine.dispose()


@pytest.fixture
async def app(tmp_path, clock) -> AsyncIterator[App]:
    async with app_on(tmp_path, clock, small_bank()) as built:
        yield built


class Running:
    """A started PracticeBot; `restart` replaces it with a new client, as a new process would."""

    def __init__(self, app: App, standin: DiscordStandIn):
        self.app, self.standin = app, standin
        self.bot: PracticeBot | None = None
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.bot = PracticeBot(self.app, guild_ready_timeout=0.05)
        self.task = asyncio.create_task(self.bot.start(self.standin.token))
        await asyncio.wait_for(self.bot.wait_until_ready(), 5)

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.close()
            await self.task

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def running(app, discord_api) -> AsyncIterator[Running]:
    bot = Running(app, discord_api)
    await bot.start()
    yield bot
    await bot.stop()


def shown_by(token: str):
    return lambda r: r.params.get("token") == token and r.route in (EDIT_ORIGINAL, FOLLOWUP)


async def interact(standin: DiscordStandIn, payload: dict) -> Recorded:
    """Dispatch an interaction; the request that showed its reply (an @original edit or a followup)."""
    await standin.interact(payload)
    return await standin.wait_for(shown_by(payload["token"]))


def first_callback(standin: DiscordStandIn, payload: dict) -> Recorded:
    [callback] = [r for r in standin.routed(CALLBACK) if r.params["token"] == payload["token"]]
    assert callback.status == 200, callback.response  # within the stand-in's 3 s deadline
    return callback


def embed(recorded: Recorded) -> dict:
    return recorded.response["embeds"][0]


def button(message: dict, verb: str, rating: int | None = None) -> str:
    for custom_id in custom_ids(message):
        key = ActionKey.parse(custom_id.removeprefix("ipb:"))
        if key.verb == verb and (rating is None or key.rating == rating):
            return custom_id
    raise AssertionError(f"no {verb} button in {custom_ids(message)}")


async def count(app: App, model, *where) -> int:
    async with app.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def ask(standin: DiscordStandIn, user_id: int = ALICE, **options) -> Recorded:
    return await interact(standin, slash("question", user_id, **options))


async def test_a_slash_command_is_acknowledged_then_answered_and_the_card_stored(running, app):
    standin = running.standin
    payload = slash("question", ALICE, category="databases", level="senior")
    shown = await interact(standin, payload)
    callback = first_callback(standin, payload)
    assert callback.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # deferred, private
    assert shown.route == EDIT_ORIGINAL
    assert embed(shown)["title"] == "Question db-d"
    assert shown.body["allowed_mentions"] == {"parse": []}
    assert custom_ids(shown.response) == ["ipb:reveal:db-d:0", "ipb:answer:db-d:0", "ipb:skip:db-d:0"]
    async with app.engine.connect() as conn:
        learner_id = (await conn.execute(select(Learner.id).where(Learner.platform_user_id == str(ALICE)))).scalar_one()
        cards = (await conn.execute(select(Card.question_id).where(Card.learner_id == learner_id))).scalars().all()
    assert cards == ["db-d"]


async def test_buttons_keep_working_after_a_restart_and_grade_in_place(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response
    await running.restart()
    assert standin.identifies == 2

    revealed = await interact(standin, click(question, button(question, "reveal"), ALICE))
    assert revealed.route == FOLLOWUP and revealed.body["flags"] == EPHEMERAL  # key points below the question
    assert embed(revealed)["title"] == "Key points: Question db-d"
    reveal_message = revealed.response
    graded = await interact(standin, click(reveal_message, button(reveal_message, "grade", 3), ALICE))
    assert graded.route == EDIT_ORIGINAL  # the key points message becomes the result: no grade buttons left
    assert embed(graded)["title"] == "Recorded: Solid"
    assert standin.messages[reveal_message["id"]]["embeds"][0]["title"] == "Recorded: Solid"
    assert await count(app, Review) == 1


async def test_a_repeated_or_stale_grade_click_says_so_and_changes_nothing(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response
    reveal_message = (await interact(standin, click(question, button(question, "reveal"), ALICE))).response
    grade = button(reveal_message, "grade", 4)
    await interact(standin, click(reveal_message, grade, ALICE))
    again = await interact(standin, click(reveal_message, grade, ALICE))
    assert embed(again)["title"] == "Already recorded"
    # A grade button built from a card version that never existed (a forged or corrupted message).
    forged = json.loads(json.dumps(reveal_message).replace("ipb:grade:db-d:0:1", "ipb:grade:db-d:7:1"))
    stale = await interact(standin, click(forged, "ipb:grade:db-d:7:1", ALICE))
    assert stale.route == FOLLOWUP and stale.body["flags"] == EPHEMERAL
    assert embed(stale)["title"] == "Nothing changed" and "out of date" in embed(stale)["description"]
    async with app.engine.connect() as conn:
        assert (await conn.execute(select(Review.rating))).scalars().all() == [4]


async def test_the_answer_form_stores_the_text_with_the_review(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response
    answer = button(question, "answer")
    opened = click(question, answer, ALICE)
    await standin.interact(opened)
    form = await standin.wait_for_route(CALLBACK, token=opened["token"])
    assert form.body["type"] == 9 and form.body["data"]["custom_id"] == answer
    [text_input] = [c for row in form.body["data"]["components"] for c in row.get("components", [row.get("component")])]
    assert text_input["max_length"] == 4000 and text_input["style"] == 2

    await running.restart()  # the form outlives the process that opened it
    text = "Replica lag: read your writes from the primary for a few seconds. @everyone"
    shown = await interact(standin, modal_submit(answer, {"answer": text}, ALICE, message=question))
    your_answer = embed(shown)["fields"][0]
    assert your_answer["name"] == "Your answer" and "@\u200beveryone" in your_answer["value"]
    assert shown.body["allowed_mentions"] == {"parse": []}
    await interact(standin, click(shown.response, button(shown.response, "grade", 2), ALICE))
    async with app.engine.connect() as conn:
        assert (await conn.execute(select(Review.answer_text))).scalar_one() == text


async def test_a_public_question_gives_each_clicker_their_own_private_copy(running, app):
    standin = running.standin
    payload = slash("question", ALICE, category="databases", level="senior", public=True)
    posted = await interact(standin, payload)
    assert first_callback(standin, payload).body == {"type": 5}  # deferred, public
    assert custom_ids(posted.response) == ["ipb:open:db-d:0"]
    mine = await interact(standin, click(posted.response, "ipb:open:db-d:0", BOB))
    first = [r for r in standin.routed(CALLBACK) if r.params["token"] != payload["token"]][-1]
    assert first.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # private to Bob; the post is unchanged
    assert custom_ids(mine.response) == ["ipb:reveal:db-d:0", "ipb:answer:db-d:0", "ipb:skip:db-d:0"]
    assert standin.messages[posted.response["id"]]["components"] == posted.response["components"]
    assert await count(app, Card) == 2


async def test_a_public_request_with_nothing_to_post_answers_privately(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response
    reveal_message = (await interact(standin, click(question, button(question, "reveal"), ALICE))).response
    await interact(standin, click(reveal_message, button(reveal_message, "grade", 3), ALICE))
    # senior databases has one question, graded: nothing new and nothing due to post
    shown = await ask(standin, category="databases", level="senior", public=True)
    assert shown.route == FOLLOWUP and shown.body["flags"] == EPHEMERAL
    assert embed(shown)["title"] == "All caught up"
    assert not any(m.get("embeds", [{}])[0].get("title") == "All caught up" and not m["flags"] & EPHEMERAL
                   for m in standin.messages.values())  # fmt: skip


async def test_a_question_in_direct_messages_uses_no_server(running, app):
    shown = await ask(running.standin, guild_id=None, category="behavioral")
    assert embed(shown)["title"] == "Question bh-a"


BANK = b"""schema_version: 1
questions:
  - id: everyone-ping
    category: system_design
    title: "@everyone Design a rate limiter"
    prompt: "Design a rate limiter for a public API with many clients; explain where state lives."
    level: mid
    difficulty: medium
    time_box_minutes: 15
    topics: [rate-limiting]
    key_points: [Token bucket or sliding window, Shared state in Redis, Clear 429 responses]
    outline: [Requirements, Algorithm, State, Failure modes]
    follow_ups:
      - {question: "What if Redis is down?", probes: "failure modes"}
      - {question: "Per user or per key?", probes: "granularity"}
    pitfalls: [Local counters per instance]
    hints: [Think about where counts are kept]
"""


async def test_an_admin_command_is_refused_for_a_member_even_when_crafted(running, app):
    standin = running.standin
    upload = attachment_option(standin.host_attachment("questions.yaml", BANK))
    payload = slash("bank import", BOB, file=upload)  # a member without Manage Server
    await standin.interact(payload)
    refused = await standin.wait_for_route(CALLBACK, token=payload["token"])
    assert refused.body["type"] == 4 and refused.body["data"]["flags"] == EPHEMERAL
    assert refused.body["data"]["embeds"][0]["title"] == "Not allowed"
    assert "Manage Server" in refused.body["data"]["embeds"][0]["description"]
    assert await count(app, CustomQuestion) == 0


async def test_a_question_titled_at_everyone_pings_nobody(running, app):
    standin = running.standin
    upload = attachment_option(standin.host_attachment("questions.yaml", BANK))
    imported = await interact(standin, slash("bank import", ALICE, permissions=MANAGE_GUILD, file=upload))
    assert embed(imported)["title"] == "Questions imported"
    posted = await ask(standin, BOB, category="system_design", level="mid", public=True)
    title = embed(posted)["title"]
    assert title.endswith("Design a rate limiter") and "@everyone" not in title
    assert posted.body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in json.dumps(posted.body)


async def test_an_admin_exports_the_servers_questions_as_a_file(running, app):
    standin = running.standin
    upload = attachment_option(standin.host_attachment("questions.yaml", BANK))
    await interact(standin, slash("bank import", ALICE, permissions=MANAGE_GUILD, file=upload))
    exported = await interact(standin, slash("bank export", ALICE, permissions=MANAGE_GUILD))
    assert b"id: everyone-ping" in exported.files["questions.yaml"]


async def test_a_bad_bank_file_lists_its_problems_and_stores_nothing(running, app):
    standin = running.standin
    upload = attachment_option(standin.host_attachment("bad.yaml", b"schema_version: 1\nquestions:\n  - id: X Y\n"))
    shown = await interact(standin, slash("bank import", ALICE, permissions=MANAGE_GUILD, file=upload))
    assert "problems" in embed(shown)["title"] and "bad.yaml:3" in embed(shown)["description"]
    assert await count(app, CustomQuestion) == 0


async def test_an_oversized_bank_file_is_refused_before_it_is_downloaded(running, app):
    standin = running.standin
    upload = attachment_option(standin.host_attachment("questions.yaml", BANK) | {"size": 5 * 1024 * 1024})
    shown = await interact(standin, slash("bank import", ALICE, permissions=MANAGE_GUILD, file=upload))
    assert "limited to 1 MiB" in embed(shown)["description"]  # the size Discord reports decides
    assert await count(app, CustomQuestion) == 0


async def test_a_429_on_a_response_is_waited_out_and_retried(running, app):
    standin = running.standin
    standin.force_429(EDIT_ORIGINAL, times=1, retry_after=0.3)
    started = asyncio.get_running_loop().time()
    shown = await ask(standin, category="databases")
    assert asyncio.get_running_loop().time() - started >= 0.3
    assert standin.rate_limited == 1 and shown.status == 200
    assert embed(shown)["title"].startswith("Question db-")


async def targets(app: App) -> list[tuple]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            select(PushTarget.kind, PushTarget.recipient, PushTarget.channel_id, PushTarget.local_time,
                   PushTarget.timezone, PushTarget.active).order_by(PushTarget.id)
        )  # fmt: skip
        return [tuple(r) for r in rows]


async def test_subscribing_confirms_by_dm(running, app):
    standin = running.standin
    shown = await interact(standin, slash("subscribe", ALICE, time="8:30pm", timezone="Europe/Berlin"))
    assert embed(shown)["title"] == "Daily question on"
    dm = standin.dm_channel(str(ALICE))
    [confirmation] = standin.channel_messages(dm)
    assert confirmation["embeds"][0]["title"] == "Daily question on"
    assert standin.routed(CREATE_MESSAGE)[0].body["allowed_mentions"] == {"parse": []}
    assert await targets(app) == [("dm", str(ALICE), dm, "20:30", "Europe/Berlin", True)]


async def test_closed_dms_are_reported_and_the_subscription_is_kept(running, app):
    standin = running.standin
    standin.closed_dms.add(str(BOB))
    shown = await interact(standin, slash("subscribe", BOB, time="07:00", timezone="Asia/Tokyo"))
    assert embed(shown)["title"] == "Daily question on"
    note = embed(shown)["fields"][-1]
    assert note["name"] == "Direct message" and "DMs are closed" in note["value"] and "saved" in note["value"]
    [refused] = standin.routed(CREATE_MESSAGE)
    assert refused.status == 403
    assert await targets(app) == [("dm", str(BOB), standin.dm_channel(str(BOB)), "07:00", "Asia/Tokyo", True)]


async def test_a_429_on_the_dm_is_waited_out_and_retried_not_failed(running, app):
    standin = running.standin
    standin.force_429(CREATE_MESSAGE, times=1, retry_after=0.25)
    shown = await interact(standin, slash("subscribe", ALICE, time="09:15"))
    assert standin.rate_limited == 1
    assert "fields" not in embed(shown) or not embed(shown)["fields"]  # no delivery warning
    assert len(standin.channel_messages(standin.dm_channel(str(ALICE)))) == 1
    assert len(standin.routed(CREATE_DM)) == 1


async def test_a_wrong_time_is_named_and_nothing_is_stored(running, app):
    shown = await interact(running.standin, slash("subscribe", ALICE, time="25:99"))
    assert embed(shown)["title"] == "Please check that" and "'25:99'" in embed(shown)["description"]
    assert await targets(app) == []


async def test_timezone_autocomplete_suggests_iana_names(running, app):
    standin = running.standin
    payload = autocomplete("subscribe", ALICE, "timezone", "berl", time="08:00")
    await standin.interact(payload)
    suggested = await standin.wait_for_route(CALLBACK, token=payload["token"])
    assert suggested.body["type"] == 8
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in suggested.body["data"]["choices"]


async def test_the_question_of_the_day_is_for_admins_even_against_a_crafted_request(running, app):
    standin = running.standin
    daily = channel_option(700000000000000099)
    crafted = slash("qotd set", BOB, channel=daily, time="09:00", timezone="UTC")  # member permissions only
    await standin.interact(crafted)
    refused = await standin.wait_for_route(CALLBACK, token=crafted["token"])
    assert refused.body["data"]["embeds"][0]["title"] == "Not allowed"
    assert await targets(app) == []

    allowed = await interact(
        standin, slash("qotd set", ALICE, permissions=MANAGE_GUILD, channel=daily, time="09:00", timezone="UTC")
    )
    assert embed(allowed)["title"] == "Question of the day on"
    assert await targets(app) == [("channel", None, "700000000000000099", "09:00", "UTC", True)]
    off = await interact(standin, slash("qotd off", ALICE, permissions=MANAGE_GUILD))
    assert embed(off)["title"] == "Question of the day off"
    assert [t[-1] for t in await targets(app)] == [False]


async def test_a_crafted_voice_channel_for_the_question_of_the_day_is_refused(running, app):
    standin = running.standin
    voice = channel_option(700000000000000077, channel_type=2)
    payload = slash("qotd set", ALICE, permissions=MANAGE_GUILD, channel=voice, time="09:00", timezone="UTC")
    await standin.interact(payload)
    refused = await standin.wait_for_route(CALLBACK, token=payload["token"])
    assert refused.body["data"]["embeds"][0]["description"] == "Choose a text or announcement channel."
    assert await targets(app) == []


async def test_server_commands_are_refused_in_direct_messages(running, app):
    standin = running.standin
    payload = slash("qotd off", ALICE, guild_id=None, permissions=MANAGE_GUILD)
    await standin.interact(payload)
    refused = await standin.wait_for_route(CALLBACK, token=payload["token"])
    assert refused.body["data"]["embeds"][0]["title"] == "Not allowed"
    assert "server" in refused.body["data"]["embeds"][0]["description"]


COMMANDS = [
    "bank", "chart", "export-my-data", "forget-me", "goal", "leaderboard", "link", "mock", "pace", "privacy", "qotd",
    "question", "review", "snooze", "stats", "subscribe", "timezone", "unsubscribe",
]  # fmt: skip


async def test_sync_publishes_the_commands_with_server_settings_hidden_from_members(app, discord_api):
    assert await sync(app, discord_api.token, GUILD_ID) == COMMANDS
    published = {c["name"]: c for c in discord_api.commands[str(GUILD_ID)]}
    assert sorted(published) == COMMANDS
    for admin in ("qotd", "bank"):
        assert int(published[admin]["default_member_permissions"]) == MANAGE_GUILD
        assert published[admin]["contexts"] == [0]  # servers only
    assert published["question"]["default_member_permissions"] is None
    options = {o["name"]: o for o in published["question"]["options"]}
    categories = [c["value"] for c in options["category"]["choices"]]
    assert categories == ["system_design", "databases", "behavioral", "backend"]
    assert options["public"]["type"] == 5 and not options["public"]["required"]
    qotd_set = next(o for o in published["qotd"]["options"] if o["name"] == "set")
    channel = next(o for o in qotd_set["options"] if o["name"] == "channel")
    assert channel["channel_types"] == [0, 5]
    assert discord_api.identifies == 0  # syncing needs no gateway connection

    assert await sync(app, discord_api.token, None) == COMMANDS
    assert sorted(c["name"] for c in discord_api.commands[None]) == COMMANDS


def test_the_cli_names_a_missing_token(tmp_path):
    result = cli("discord", cwd=tmp_path, env={"DISCORD_TOKEN": ""})
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr and "Developer Portal" in result.stderr
    assert not default_database(tmp_path).exists()


async def test_review_with_nothing_due_says_when_the_next_one_is(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response
    reveal_message = (await interact(standin, click(question, button(question, "reveal"), ALICE))).response
    await interact(standin, click(reveal_message, button(reveal_message, "grade", 3), ALICE))
    shown = await interact(standin, slash("review", ALICE))
    assert embed(shown)["title"] == "All caught up"
    assert "Your next review is on" in embed(shown)["description"]


async def test_a_timezone_is_saved_and_a_wrong_one_named(running, app):
    standin = running.standin
    assert embed(await interact(standin, slash("timezone", ALICE, name="America/Bogota")))["title"] == "Timezone saved"
    wrong = await interact(standin, slash("timezone", ALICE, name="Mars/Olympus"))
    assert "'Mars/Olympus' is not a timezone I know" in embed(wrong)["description"]
    async with app.engine.connect() as conn:
        assert (await conn.execute(select(Learner.timezone))).scalar_one() == "America/Bogota"


async def practise_one(standin: DiscordStandIn, user_id: int = ALICE, rating: int = 3, name: str = "learner") -> None:
    """Ask, reveal and grade one question, as a learner clicking through."""
    question = (await ask(standin, user_id, category="databases", user_name=name)).response
    reveal_message = (await interact(standin, click(question, button(question, "reveal"), user_id, user_name=name))).response
    await interact(standin, click(reveal_message, button(reveal_message, "grade", rating), user_id, user_name=name))


async def test_stats_and_the_weakest_topic_button(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response  # db-d: replication lag
    reveal_message = (await interact(standin, click(question, button(question, "reveal"), ALICE))).response
    await interact(standin, click(reveal_message, button(reveal_message, "grade", 1), ALICE))
    stats = await interact(standin, slash("stats", ALICE))
    fields = {f["name"]: f["value"] for f in embed(stats)["fields"]}
    assert embed(stats)["title"] == "Your progress" and fields["Reviews"] == "1 (1 today)"
    topic = button(stats.response, "topic")
    assert topic == "ipb:topic:replication-lag:0"
    practised = await interact(standin, click(stats.response, topic, ALICE))
    assert embed(practised)["title"] == "All caught up"  # its only question was just graded
    assert "Nothing due in Replication lag" in embed(practised)["description"]


async def test_the_chart_is_attached_as_a_png(running, app):
    standin = running.standin
    await practise_one(standin)
    chart = await interact(standin, slash("chart", ALICE))
    assert chart.files["progress.png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.response["attachments"][0]["filename"] == "progress.png"
    assert embed(chart)["title"] == "Your progress chart"


async def test_the_leaderboard_respects_opting_out(running, app):
    standin = running.standin
    await practise_one(standin, ALICE, name="alice")
    await practise_one(standin, BOB, name="bob")
    board = await interact(standin, slash("leaderboard", BOB, user_name="bob", period="all"))
    assert embed(board)["title"] == "Leaderboard · all time"
    assert "Alice" in embed(board)["description"] and "Bob" in embed(board)["description"]
    hidden = await interact(standin, slash("privacy", ALICE, leaderboard="hide"))
    assert embed(hidden)["title"] == "Hidden from leaderboards"
    board = await interact(standin, slash("leaderboard", BOB, user_name="bob", period="all"))
    assert "Alice" not in embed(board)["description"] and "Bob" in embed(board)["description"]


async def test_two_accounts_link_with_a_one_time_code(running, app):
    standin = running.standin
    await practise_one(standin, ALICE)
    code_reply = await interact(standin, slash("link", ALICE))
    code = embed(code_reply)["description"].split("**")[1]
    assert code.isdigit() and len(code) == 6
    linked = await interact(standin, slash("link", BOB, code=code))
    assert embed(linked)["title"] == "Accounts linked"
    again = await interact(standin, slash("link", BOB, code=code))
    assert embed(again)["title"] != "Accounts linked"  # a code works once
    bob_stats = await interact(standin, slash("stats", BOB))
    assert {f["name"]: f["value"] for f in embed(bob_stats)["fields"]}["Reviews"].startswith("1 ")


async def test_export_then_forget_me_after_confirming(running, app):
    standin = running.standin
    text = "Covering index: the query never touches the table."
    question = (await ask(standin, category="databases", level="senior")).response
    shown = await interact(standin, modal_submit(button(question, "answer"), {"answer": text}, ALICE))
    await interact(standin, click(shown.response, button(shown.response, "grade", 3), ALICE))
    await interact(standin, slash("subscribe", ALICE, time="08:00"))

    exported = await interact(standin, slash("export-my-data", ALICE))
    document = json.loads(exported.files["my-data.json"])
    assert [r["answer_text"] for r in document["reviews"]] == [text]

    prompt = await interact(standin, slash("forget-me", ALICE))
    assert embed(prompt)["title"] == "Delete all your data?"
    assert await count(app, Learner) == 1 and await count(app, Review) == 1
    deleted = await interact(standin, click(prompt.response, button(prompt.response, "forget"), ALICE))
    assert deleted.route == EDIT_ORIGINAL and embed(deleted)["title"] == "Your data is deleted"
    for model in (Learner, Card, Review, PushTarget):
        assert await count(app, model) == 0


async def test_an_answer_to_a_question_graded_since_is_shown_back_not_lost(running, app):
    standin = running.standin
    question = (await ask(standin, category="databases", level="senior")).response
    reveal_message = (await interact(standin, click(question, button(question, "reveal"), ALICE))).response
    await interact(standin, click(reveal_message, button(reveal_message, "grade", 3), ALICE))
    late = "Leader-follower replication with a lag budget."
    shown = await interact(standin, modal_submit(button(question, "answer"), {"answer": late}, ALICE))
    assert embed(shown)["title"] == "Nothing changed"
    assert embed(shown)["fields"][0] == {"name": "Your answer", "value": late, "inline": False}
    async with app.engine.connect() as conn:
        assert (await conn.execute(select(Review.answer_text))).scalar_one() is None


LAUNCH = """
import sys, discord, yarl
discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
from bot.__main__ import main
sys.exit(main(sys.argv[3:]))
"""


async def bot_process(
    standin: DiscordStandIn, tmp_path, *args: str, extra_env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` as a real process, its discord.py pointed at the stand-in as in the fixtures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BANK_DIR", "DISCORD"))}
    env |= {"DISCORD_TOKEN": standin.token, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAUNCH, standin.api_base, standin.gateway_url, *args,
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_the_discord_process_answers_commands_and_stops_cleanly_on_sigterm(standin, tmp_path):
    process = await bot_process(standin, tmp_path, "discord")
    try:
        await standin.wait_connected(timeout=60)
        shown = await interact(standin, slash("question", ALICE, category="databases"))
        assert embed(shown)["fields"][0] == {"name": "Category", "value": "Databases", "inline": True}
        assert custom_ids(shown.response)[0].startswith("ipb:reveal:")  # the shipped bank, a fresh SQLite file
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()
    assert default_database(tmp_path).exists()


async def test_the_sync_process_publishes_the_commands_then_exits(standin, tmp_path):
    process = await bot_process(standin, tmp_path, "discord", "sync", "--guild", str(GUILD_ID))
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().startswith(f"synced {len(COMMANDS)} commands to server {GUILD_ID}: bank, chart")
    assert sorted(c["name"] for c in standin.commands[str(GUILD_ID)]) == COMMANDS
    assert standin.identifies == 0
