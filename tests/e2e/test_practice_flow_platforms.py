"""Skip, undo and the interval on each grade button, end to end on Discord and Slack: the real
discord.py client and slack-bolt app against the loopback stand-ins, the real core, a real database.

Fuzz is off in these apps, so a new card's intervals are FSRS-6's initial stabilities rounded (at
least one day): Missed it 0.21 -> 1d, Partial 1.29 -> 1d, Solid 2.31 -> 2d, Could teach it 8.30 -> 8d.
"""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Card, Review
from tests.e2e.test_discord import (  # noqa: F401 - fixtures
    ALICE,
    EPHEMERAL,
    app,
    ask,
    button,
    discord_api,
    embed,
    interact,
    running,
    standin,
)
from tests.e2e.test_slack import button as slack_button
from tests.e2e.test_slack import harness, header, text_of  # noqa: F401 - a fixture
from tests.fakes.discord_api import EDIT_ORIGINAL, FOLLOWUP
from tests.fakes.discord_payloads import click

LABELS = ["Missed it · 1d", "Partial · 1d", "Solid · 2d", "Could teach it · 8d"]


async def rows(engine, model) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(model))).scalar_one()


def discord_labels(message: dict, prefix: str) -> list[str]:
    return [c["label"] for row in message["components"] for c in row["components"] if c["custom_id"].startswith(prefix)]


async def test_discord_skip_then_grade_with_interval_labels_then_undo(running, app):
    standin = running.standin
    first = (await ask(standin, category="databases")).response
    skipped = await interact(standin, click(first, button(first, "skip"), ALICE))
    assert skipped.route == EDIT_ORIGINAL and embed(skipped)["title"] == "Skipped"  # the question is replaced
    question = (await interact(standin, click(skipped.response, button(skipped.response, "next"), ALICE))).response
    assert question["embeds"][0]["title"] != first["embeds"][0]["title"]
    assert "New question (1 of 5 today)" in question["embeds"][0]["footer"]["text"]  # the skip used no slot

    revealed = (await interact(standin, click(question, button(question, "reveal"), ALICE))).response
    assert discord_labels(revealed, "ipb:grade:") == LABELS
    hints = revealed["embeds"][0]["fields"][-1]["value"]
    assert "**Solid · 2d**: a solid answer that hit the key points; back on Wed 04 Mar 2026 (in 2 days)" in hints
    graded = await interact(standin, click(revealed, button(revealed, "grade", 3), ALICE))
    assert "Wed 04 Mar 2026 (in 2 days)" in embed(graded)["description"]  # what the button said
    assert await rows(app.engine, Review) == 1

    undone = await interact(standin, click(graded.response, button(graded.response, "undo"), ALICE))
    assert undone.route == FOLLOWUP and undone.body["flags"] == EPHEMERAL
    assert embed(undone)["title"].startswith("Grade undone") and discord_labels(undone.response, "ipb:grade:") == LABELS
    assert await rows(app.engine, Review) == 0
    again = await interact(standin, click(graded.response, button(graded.response, "undo"), ALICE))
    assert embed(again)["title"] == "Nothing to undo" and await rows(app.engine, Review) == 0
    regraded = await interact(standin, click(undone.response, button(undone.response, "grade", 4), ALICE))
    assert embed(regraded)["title"] == "Recorded: Could teach it" and await rows(app.engine, Review) == 1


async def test_slack_skip_then_grade_with_interval_labels_then_undo(harness, engine):
    first = await harness.command("question databases")
    skipped = await harness.click(first, "skip")
    assert header(skipped) == "Skipped"
    question = await harness.click(skipped, "next")
    assert header(question) != header(first) and "New question (1 of 5 today)" in text_of(question)
    assert await rows(engine, Card) == 2 and await rows(engine, Review) == 0

    revealed = await harness.click(question, "reveal")
    grade_buttons = [
        e for b in revealed["blocks"] if b["type"] == "actions" for e in b["elements"] if e["value"].startswith("grade:")
    ]
    assert [e["text"]["text"] for e in grade_buttons] == LABELS
    assert "*Solid · 2d*: a solid answer that hit the key points; back on Wed 04 Mar 2026 (in 2 days)" in text_of(revealed)
    graded = await harness.click(revealed, "grade", 3)
    assert header(graded) == "Recorded: Solid" and "Wed 04 Mar 2026 (in 2 days)" in text_of(graded)

    undone = await harness.click(graded, "undo")
    assert header(undone).startswith("Grade undone") and await rows(engine, Review) == 0
    again = await harness.click(graded, "undo")
    assert header(again) == "Nothing to undo" and "already undone" in text_of(again)
    assert slack_button(undone, "grade", 2)  # the grade buttons are back, at the restored version
    assert header(await harness.click(undone, "grade", 2)) == "Recorded: Partial"
    assert await rows(engine, Review) == 1
