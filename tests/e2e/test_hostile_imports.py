"""Hostile question files through the real platform libraries: an alias bomb, a recursive alias or
50,000-deep nesting is refused with its file:line, and while a file is being checked the bot keeps
answering everyone else (the check runs in a bounded child process, not on the event loop)."""

from __future__ import annotations

import json
import re

import pytest

from storage.models import CustomQuestion
from tests.e2e.test_discord import (  # noqa: F401  (fixtures)
    ALICE,
    BOB,
    app,
    button,
    count,
    discord_api,
    embed,
    interact,
    running,
    shown_by,
    standin,
)
from tests.e2e.test_slack import ADMIN, harness, rows  # noqa: F401  (fixtures)
from tests.fakes.discord_payloads import MANAGE_GUILD, attachment_option, click, slash
from tests.fakes.slack_requests import dm_message, event_callback
from tests.hostile_yaml import (
    DEEP_NESTING,
    LINKED_QUESTION,
    MASKED_LINK,
    RECURSIVE_ALIAS,
    alias_bomb,
    slow_but_valid_yaml,
)

# A masked link or an autolink Discord would make clickable: `[` or `<` not escaped with a backslash.
DISCORD_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(|(?<!\\)<https?:")
HOSTILE = [alias_bomb(), RECURSIVE_ALIAS, DEEP_NESTING]
IDS = ["alias-bomb", "recursive-alias", "deep-nesting"]
REFUSALS = ("evil.yaml:2: anchors and aliases (&name, *name) are not allowed", "evil.yaml:2: nested more than")


def import_file(standin, name: str, text: str) -> dict:
    upload = attachment_option(standin.host_attachment(name, text.encode()))
    return slash("bank import", ALICE, permissions=MANAGE_GUILD, file=upload)


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
async def test_discord_bank_import_refuses_a_hostile_file_at_its_line(running, app, text):
    shown = await interact(running.standin, import_file(running.standin, "evil.yaml", text))
    assert embed(shown)["title"] == "1 problem in the questions"
    assert embed(shown)["description"].startswith(tuple(f"• {r}" for r in REFUSALS))
    assert await count(app, CustomQuestion) == 0


async def test_discord_answers_another_server_while_a_slow_file_is_checked(running):
    standin = running.standin
    importing = import_file(standin, "slow.yaml", slow_but_valid_yaml())
    await standin.interact(importing)
    await standin.wait_for(lambda r: r.params.get("token") == importing["token"])  # acknowledged: checking now
    question = slash("question", BOB, guild_id=700000000000000777)
    await standin.interact(question)
    answered = await standin.wait_for(shown_by(question["token"]), timeout=10)
    imported = await standin.wait_for(shown_by(importing["token"]), timeout=30)
    assert embed(answered)["title"].startswith("Question ")
    assert re.fullmatch(r"[\d,]+ problems? in the questions", embed(imported)["title"])
    assert standin.recorded.index(answered) < standin.recorded.index(imported)  # not held up behind it


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
async def test_slack_refuses_a_hostile_file_shared_in_a_dm_at_its_line(harness, engine, text):
    shared = harness.slack.add_file("evil.yaml", text.encode(), user=ADMIN)
    await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
    (posted,) = await harness.slack.wait_for("chat.postMessage")
    blocks = json.dumps(posted.args["blocks"])
    assert "1 problem in the questions" in blocks
    assert any(json.dumps(r)[1:-1].replace("&", "&amp;") in blocks for r in REFUSALS)
    assert await rows(engine, CustomQuestion) == 0


async def test_discord_shows_links_in_imported_questions_as_text_in_public_posts(running):
    standin = running.standin
    imported = await interact(standin, import_file(standin, "links.yaml", LINKED_QUESTION))
    assert embed(imported)["title"] == "Questions imported"
    posted = await interact(standin, slash("question", BOB, category="backend", level="junior", public=True))
    assert embed(posted)["title"] == "Log in first" and not posted.response["flags"] & 64  # a public post
    question = (await interact(standin, slash("question", ALICE, category="backend", level="junior"))).response
    revealed = await interact(standin, click(question, button(question, "reveal"), ALICE))
    for shown in (embed(posted), embed(revealed)):
        text = json.dumps(shown, ensure_ascii=False).replace("\\\\", "\\")
        assert "Official login" in text and "evil.example" in text  # shown, as text
        assert not DISCORD_LINK.search(text), text
    assert "\\[Official login\\](https://evil.example/x)" in embed(posted)["description"]


async def test_slack_shows_links_in_imported_questions_as_text(harness):
    shared = harness.slack.add_file("links.yaml", LINKED_QUESTION.encode(), user=ADMIN)
    await harness.send(event_callback(dm_message("", user=ADMIN, files=[shared])))
    await harness.slack.wait_for("chat.postMessage")
    question = await harness.command("question backend junior")
    blocks = json.dumps(question["blocks"])
    assert MASKED_LINK in blocks and "&lt;https://evil.example/y&gt;" in blocks  # as typed, Slack links nothing
    assert "<https://" not in blocks and "|Official" not in blocks
    texts = [b["text"] for b in question["blocks"] if b.get("type") == "section" and "text" in b]
    assert texts and all(t["verbatim"] for t in texts if t["type"] == "mrkdwn")
