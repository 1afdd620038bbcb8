"""Written-answer feedback as each surface shows it, end to end: write an answer, see each key point
covered (with the learner's own words quoted) or missed and the suggested grade highlighted, grade.
Real discord.py and slack-bolt against the loopback stand-ins, the terminal in-process and as a process."""

from __future__ import annotations

import io
import os
import re
from collections.abc import AsyncIterator

import pytest
import yaml
from rich.console import Console
from sqlalchemy import select

from bot.adapters.console import ConsoleApp
from bot.bootstrap import App, build
from bot.core.practice import LearnerRef
from bot.settings import Settings
from question_bank.loader import Bank, load_bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.models import Review
from tests.e2e.test_cli import cli
from tests.e2e.test_console import Script
from tests.e2e.test_discord import (  # noqa: F401 - fixtures
    ALICE,
    Running,
    app_on,
    ask,
    button,
    discord_api,
    embed,
    interact,
    running,
    standin,
)
from tests.e2e.test_slack import LEARNER, Harness, header, started, text_of
from tests.e2e.test_slack import button as slack_button
from tests.fakes.discord_payloads import click, modal_submit
from tests.fakes.slack_requests import block_actions, view_submission

ISBN, REVIEW = "db-btree-isbn-lookup", "bh-conflict-review-stalemate"
GOOD = (
    "With no usable index on isbn13 the database does a sequential scan, reading every row for each lookup. "
    "A B-tree keeps the keys sorted in a balanced, shallow tree of pages, so a lookup descends a few pages. "
    "A unique index would also reject duplicate ISBNs. The cost: every insert or isbn13 change must also "
    "update the index."
)
POOR = "I would add an index on isbn13 because indexes make the lookups a lot faster for the kiosks."
STORY = (
    "At my last job a pull request of mine went six rounds with a senior reviewer. The real disagreement was "
    "whether to validate rows in the parser. I asked him for a short call and first asked what he was worried "
    "about. As a result we merged it the next day, and I learned to switch to a call after two rounds."
)


def feedback_bank() -> Bank:
    shipped = load_bank()
    return Bank((shipped.get(ISBN), shipped.get(REVIEW)))


async def reviews(app: App) -> list[tuple[int, int | None, int | None]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(select(Review.rating, Review.suggested_grade, Review.covered_points))
        return [tuple(r) for r in rows]


# Discord ------------------------------------------------------------------------------------------------
@pytest.fixture
async def app(tmp_path, clock) -> AsyncIterator[App]:
    async with app_on(tmp_path, clock, feedback_bank()) as built:
        yield built


def grade_buttons(message: dict) -> dict[str, int]:
    return {  # by the grade's name, without the interval it leads to ("Solid · 4d")
        c["label"].split(" · ")[0]: c["style"]
        for row in message["components"] for c in row["components"] if "grade" in c["custom_id"]
    }  # fmt: skip


async def test_discord_marks_covered_points_with_quotes_and_highlights_the_suggested_grade(running: Running, app):
    standin = running.standin
    question = (await ask(standin, category="databases")).response
    answer = button(question, "answer")
    shown = await interact(standin, modal_submit(answer, {"answer": GOOD}, ALICE, message=question))
    fields = {f["name"]: f["value"] for f in embed(shown)["fields"]}
    assert "**Suggested grade: Solid**" in embed(shown)["description"]
    covered = {name: value for name, value in fields.items() if name.startswith("✅ ")}
    assert "✅ A UNIQUE index on isbn13 would also reject duplicate ISBNs" in covered
    assert covered["✅ A UNIQUE index on isbn13 would also reject duplicate ISBNs"] == (
        "You wrote: “A unique index would also reject duplicate ISBNs”"
    )
    assert len(covered) >= 4
    assert "☐ A search for '%river%' has no sorted prefix to seek on" in fields["Not in your answer (2)"]
    styles = grade_buttons(shown.response)
    assert styles["★ Solid"] == 1 and styles["Could teach it"] == 3  # primary: the suggestion, and only it
    assert [s for s in styles.values()].count(1) == 1
    graded = await interact(standin, click(shown.response, button(shown.response, "grade", 3), ALICE))
    assert embed(graded)["title"] == "Recorded: Solid" and "generous" not in str(embed(graded))  # agreed: no note
    assert await reviews(app) == [(3, 3, 5)]


# Slack --------------------------------------------------------------------------------------------------
@pytest.fixture
async def harness(engine, clock):
    async with started(engine, clock, feedback_bank()) as running:
        yield running


async def write(harness: Harness, question: dict, text: str) -> dict:
    hook = harness.slack.response_url()
    opened = block_actions(slack_button(question, "answer"), user=LEARNER, channel="C0GENERAL", response_url=hook)
    assert (await harness.send(opened))[0] == 200
    await harness.slack.wait_for("views.open")
    submitted = view_submission(harness.slack.opened_views[-1], {"answer": {"text": text}}, user=LEARNER)
    assert (await harness.send(submitted))[0] == 200
    return await harness.response(hook)


async def test_slack_a_generous_self_grade_gets_one_gentle_note_and_stats_show_calibration(harness, engine):
    question = await harness.command("question databases")
    revealed = await write(harness, question, POOR)
    body = text_of(revealed)
    assert "*Suggested grade: Missed it*" in body and "Not in your answer (7)" in body
    labels = [e["text"]["text"] for b in revealed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert any(label.startswith("★ Missed it") for label in labels)
    graded = await harness.click(revealed, "grade", 4)
    assert header(graded) == "Recorded: Could teach it"
    assert "A gentle note" in text_of(graded) and "0 of 7 key points" in text_of(graded)
    again = await harness.click(revealed, "grade", 4)
    assert header(again) == "Already recorded" and "A gentle note" not in text_of(again)  # said once
    assert await reviews(harness.app) == [(4, 1, 0)]
    stats = await harness.command("stats")
    assert "0 of 1 self-grades matched your written answers' evidence in the last 30 days (1 above it, 0 below)" in (
        text_of(stats)
    )


async def test_slack_behavioral_answers_show_the_star_parts_with_quotes(harness):
    question = await harness.command("question behavioral")
    revealed = await write(harness, question, STORY)
    body = text_of(revealed)
    assert "*STAR parts in your answer*" in body
    assert "✅ *Situation*: “At my last job a pull request of mine went six rounds with a senior reviewer”" in body
    assert "✅ *Reflection*" in body and "*What interviewers listen for, in your answer*" in body


# Terminal -----------------------------------------------------------------------------------------------
def test_terminal_shows_quotes_and_the_suggested_grade_then_grades(tmp_path, clock):
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    # The longest time the engine may take: a busy test machine must not turn the feedback off.
    app = build(Settings(_env_file=None, FSRS_FUZZ=False, FEEDBACK_TIMEOUT=10), bank=feedback_bank(), engine=engine, clock=clock)
    out = io.StringIO()
    lines = ["2", "w", *GOOD.split(". "), "", "3", "m", "q"]
    console = ConsoleApp(
        app, LearnerRef("console", "t"), console=Console(file=out, width=200), read=Script(lines),
        pending_input=lambda: False,  # a scripted answer: an empty line ends it
    )  # fmt: skip
    assert console.run(lambda: upgrade(engine)) == 0
    text = out.getvalue()
    assert "Suggested grade: Solid" in text and "You wrote: “A unique index would also reject duplicate ISBNs”" in text
    assert "☐ A search for '%river%' has no sorted prefix to seek on" in text
    assert "3 ★ Solid" in text and "Recorded: Solid" in text  # the terminal's grade menu


def test_terminal_process_reads_a_written_answer(tmp_path):
    bank_dir = tmp_path / "bank" / "databases"
    bank_dir.mkdir(parents=True)
    q = load_bank().get(ISBN)
    document = {"schema_version": 1, "questions": [q.model_dump(mode="json", exclude_none=True)]}
    (bank_dir / "one.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    env = {
        **os.environ, "BANK_DIR": str(tmp_path / "bank"), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
        "FEEDBACK_TIMEOUT": "10",  # a busy test machine must not turn the feedback off
    }  # fmt: skip
    stdin = "\n".join(["2", "w", GOOD, "", "3", "q"]) + "\n"
    done = cli("practice", "--user", "proc", "--timezone", "UTC", cwd=tmp_path, stdin=stdin, env=env)
    assert done.returncode == 0, done.stderr
    flat = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", done.stdout))  # panels wrap at 80 columns
    assert "Suggested grade: Solid" in flat and "You wrote: “A unique index would also reject duplicate ISBNs”" in flat
    assert "Recorded: Solid" in flat
