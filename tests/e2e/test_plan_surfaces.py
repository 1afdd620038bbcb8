"""Goal, pace and readiness on every surface: Discord and Slack through their loopback stand-ins,
the terminal scripted and as a real process."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storage.models import StudyPlan
from tests.e2e.test_cli import cli
from tests.e2e.test_console import run
from tests.e2e.test_discord import ALICE, app, discord_api, embed, interact, running, standin  # noqa: F401 (fixtures)
from tests.e2e.test_slack import harness, header, text_of  # noqa: F401 (fixture)
from tests.fakes.discord_payloads import slash

GOAL_DAY = "2026-03-31"  # the test clock's today is Mon 2 Mar 2026


async def plan_row(engine) -> tuple:
    async with engine.connect() as conn:
        return tuple((await conn.execute(select(
            StudyPlan.goal_date, StudyPlan.goal_categories, StudyPlan.goal_level, StudyPlan.new_per_day,
            StudyPlan.max_reviews_per_day,
        ))).one())  # fmt: skip


def fields_of(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.get("fields", [])}


# Discord -----------------------------------------------------------------------------------------
async def test_discord_goal_pace_and_readiness(running, app):
    standin = running.standin
    goal = embed(await interact(standin, slash("goal", ALICE, date=GOAL_DAY, categories="databases", level="mid")))
    assert goal["title"] == "Your goal"
    assert "**3 questions** (Databases, up to mid) by **Tue 31 Mar 2026**" in goal["description"]
    assert "you will have seen **3 of 3**" in goal["description"]
    assert "Interview readiness" in fields_of(goal)

    pace = embed(await interact(standin, slash("pace", ALICE, new=2, reviews=30)))
    assert "at most **2 a day** (default 5)" in pace["description"]
    assert "at most **30 a day** (default 100)" in pace["description"]
    row = await plan_row(app.engine)
    assert (str(row[0]), row[1], row[2], row[3], row[4]) == (GOAL_DAY, ["databases"], "mid", 2, 30)

    question = embed(await interact(standin, slash("question", ALICE)))
    assert question["title"].startswith("Question db-")  # the goal's questions come first
    stats = fields_of(embed(await interact(standin, slash("stats", ALICE))))
    assert stats["Interview readiness"] == (
        f"**0%** of your goal (1 of 3 questions seen)\nForecast on 31 Mar: **90%** at your pace"
    )
    assert "• Databases: 0% of 3" in stats["Readiness by category"]

    bad = embed(await interact(standin, slash("goal", ALICE, date="31/03/2026")))
    assert "YYYY-MM-DD" in bad["description"]
    cleared = embed(await interact(standin, slash("goal", ALICE, date="off")))
    assert cleared["title"] == "Goal cleared"


# Slack -------------------------------------------------------------------------------------------
async def test_slack_goal_pace_and_readiness(harness, engine):
    goal = await harness.command(f"goal {GOAL_DAY} databases mid")
    assert header(goal) == "Your goal"
    assert "3 questions" in text_of(goal) and "Tue 31 Mar 2026" in text_of(goal)
    pace = await harness.dm("pace new 2 reviews 30")
    assert "at most *2 a day* (default 5)" in str(pace["blocks"])
    row = await plan_row(engine)
    assert (str(row[0]), row[1], row[2], row[3], row[4]) == (GOAL_DAY, ["databases"], "mid", 2, 30)
    await harness.review()
    stats = await harness.command("stats")
    assert "*Interview readiness*\n*33%* of your goal (1 of 3 questions seen)" in text_of(stats)
    shown = await harness.command("goal")
    assert "You have seen 1 of them" in text_of(shown)
    wrong = await harness.command("goal tomorrow-ish 2026")
    assert "YYYY-MM-DD" in text_of(wrong)


# terminal ----------------------------------------------------------------------------------------
def test_terminal_goal_and_pace_then_stats(tmp_path, clock):
    text = run(tmp_path, clock, ["g", GOAL_DAY, "databases", "mid", "p", "2", "30", "s", "", "q"])
    assert "Your goal" in text and "3 questions" in text
    assert "at most 2 a day (default 5)" in text and "at most 30 a day (default 100)" in text
    assert "Interview readiness" in text and "0% of your goal (0 of 3 questions seen)" in text


def test_terminal_pace_refuses_a_word(tmp_path, clock):
    text = run(tmp_path, clock, ["p", "lots", "q"])
    assert "'lots' is not a number; nothing changed." in text


def test_the_practice_process_keeps_a_goal(tmp_path):
    day = date.today() + timedelta(days=60)  # the process runs on the real clock
    first = cli("practice", "--user", "ada", cwd=tmp_path, stdin=f"g\n{day}\nbackend\njunior\nq\n")
    assert first.returncode == 0, first.stderr
    assert "Your goal" in first.stdout and f"{day:%a %d %b %Y}" in first.stdout
    second = cli("practice", "--user", "ada", cwd=tmp_path, stdin="s\n\nq\n")
    assert "of your goal" in second.stdout and f"Forecast on {day:%d %b}" in second.stdout

