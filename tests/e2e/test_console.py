"""The terminal adapter driven with scripted input, on a real SQLite file."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable

import pytest
from matplotlib.image import imread
from rich.console import Console

from bot.adapters.console import ConsoleApp
from bot.core.charts import HEIGHT_PX, WIDTH_PX
from bot.core.practice import LearnerRef
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from tests.conftest import make_app
from tests.factories import question, small_bank


class Script:
    """input() stand-in: feeds lines, then raises what a terminal would (EOF by default)."""

    def __init__(self, lines: Iterable[str], end: type[BaseException] = EOFError):
        self.lines = list(lines)
        self.end = end
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.lines:
            raise self.end()
        return self.lines.pop(0)


def run(
    tmp_path, clock, lines, *, bank: Bank | None = None, end: type[BaseException] = EOFError, user: str = "tester",
    status: int = 0,
) -> str:  # fmt: skip
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    app = make_app(engine, bank or small_bank(), clock)
    out = io.StringIO()
    console = ConsoleApp(
        app, LearnerRef("console", user), console=Console(file=out, width=100), read=Script(lines, end),
        files_dir=tmp_path, pending_input=lambda: False,
    )  # fmt: skip
    assert console.run(lambda: upgrade(engine)) == status
    return out.getvalue()


def test_a_full_round_answer_reveal_grade_then_stats(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "w", "I would add a composite index", "", "3", "m", "s", "q"])
    assert "New question (1 of 5 today)" in text
    assert "Key points" in text and "Outline" in text
    assert "Recorded: Solid" in text and "comes back on" in text
    assert re.search(r"Reviews +1 \(1 today\)", text)
    assert text.rstrip().endswith("Bye! Your progress is saved.")


def test_progress_is_there_after_quitting_and_coming_back(tmp_path, clock):
    run(tmp_path, clock, ["a", "", "1", "m", "q"])  # missed it: comes back soon
    clock.advance(days=3)
    text = run(tmp_path, clock, ["r", "", "3", "m", "q"])
    assert re.search(r"Review · (\d+ days? overdue|due today)", text)
    assert "Recorded: Solid" in text


def test_ctrl_d_and_ctrl_c_leave_gracefully(tmp_path, clock):
    assert "Bye! Your progress is saved." in run(tmp_path, clock, ["2"], end=EOFError)
    assert "Bye! Your progress is saved." in run(tmp_path, clock, ["2", ""], end=KeyboardInterrupt, status=130)


def test_unknown_commands_and_bad_grades_are_explained(tmp_path, clock):
    text = run(tmp_path, clock, ["dance", "2", "", "9", "3", "m", "q"])
    assert "Unknown choice 'dance'" in text
    assert "Please type 1, 2, 3 or 4" in text and "Recorded: Solid" in text


def test_an_empty_category_says_so(tmp_path, clock):
    text = run(tmp_path, clock, ["3", "q"], bank=Bank((question("db-only"),)))
    assert "All caught up" in text and "seen every question" in text


def test_question_text_is_not_interpreted_as_markup(tmp_path, clock):
    bank = Bank((question("db-markup", title="Use [bold]x[/bold] and [red]"),))
    text = run(tmp_path, clock, ["2", "q"], bank=bank)
    assert "[bold]x[/bold]" in text


def saved_path(text: str, filename: str) -> str:
    """The path the console printed for a saved file (rich may wrap long paths)."""
    flat = "".join(text.split())
    match = re.search(rf"to(/[\w./-]*?{re.escape(filename)})", flat)
    assert match, text
    return match.group(1)


def test_stats_show_the_streak_and_a_weak_topic_can_be_practised(tmp_path, clock):
    bank = Bank(
        (
            question("db-a", topics=("indexing",)),
            question("db-b", topics=("indexing",)),
            question("sd-a", "system_design", topics=("caching",)),
        )
    )
    text = run(tmp_path, clock, ["2", "", "1", "m", "s", "1", "", "3", "m", "q"], bank=bank)
    assert "Streak: 1 day · practised today" in text
    assert "Mastery by category" in text and "1 Practise Indexes" in text
    assert text.count("Recorded:") == 2  # the topic button served the second indexing question


def test_chart_and_export_are_saved_as_files(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "", "3", "m", "c", "e", "q"])
    chart = saved_path(text, "progress.png")
    assert chart == str(tmp_path / "progress.png")
    assert imread(chart).shape[:2] == (HEIGHT_PX, WIDTH_PX)
    data = json.loads((tmp_path / "my-data.json").read_text())
    assert saved_path(text, "my-data.json") == str(tmp_path / "my-data.json")
    assert [r["rating"] for r in data["reviews"]] == [3] and data["identities"][0]["platform_user_id"] == "tester"


def test_link_a_second_terminal_user_with_a_code(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "", "3", "m", "l", "", "q"], user="first")
    code = re.search(r"\b(\d{6})\b", text.split("Your link code")[1]).group(1)
    text = run(tmp_path, clock, ["l", "999999" if code != "999999" else "000000", "l", code, "s", "", "q"], user="second")
    assert "That code is not right" in text
    assert "Accounts linked" in text and re.search(r"Reviews +1 \(1 today\)", text)


def test_forget_me_asks_first_then_deletes_everything(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "", "3", "m", "f", "", "s", "", "f", "delete", "s", "q"])
    assert "Delete all your data?" in text and "Nothing was deleted." in text
    assert re.search(r"Reviews +1 \(1 today\)", text)
    assert "Your data is deleted" in text
    assert re.search(r"Reviews +0 \(0 today\)", text.split("Your data is deleted")[1])


def test_leaderboard_opt_out(tmp_path, clock):
    text = run(tmp_path, clock, ["o", "y", "o", "n", "q"])
    assert "Hidden from leaderboards" in text and "Back on the leaderboards" in text


def exported(tmp_path, clock, user: str = "tester") -> dict:
    run(tmp_path, clock, ["e", "q"], user=user)
    return json.loads((tmp_path / "my-data.json").read_text())


QUIT_AT = {
    "menu": ([], "Choose ["),
    "question": (["2"], "w write an answer"),
    "grade": (["2", ""], "Grade yourself"),
    "next question": (["2", "", "3"], "Enter next question"),
    "level": (["v"], "Level ["),
    "leaderboard opt-out": (["o"], "Hide your name from leaderboards?"),
    "link": (["l"], "Enter the code"),
    "forget me": (["2", "", "3", "m", "f"], "Type 'delete'"),
    "weakest topic": (["2", "", "1", "m", "s"], "Practise a topic"),
    "answer too long": (["2", "w", "x" * 4100, ""], "t keep the first 4,000 characters"),
}


@pytest.mark.parametrize("where", QUIT_AT)
def test_q_quits_at_every_prompt(tmp_path, clock, where):
    lines, prompt = QUIT_AT[where]
    script = Script([*lines, "q", "never read"])
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    out = io.StringIO()
    console = ConsoleApp(
        make_app(engine, small_bank(), clock), LearnerRef("console", "tester"), console=Console(file=out, width=100),
        read=script, files_dir=tmp_path, pending_input=lambda: False,
    )  # fmt: skip
    assert console.run(lambda: upgrade(engine)) == 0
    assert script.prompts[-1].lstrip().startswith(prompt) and script.lines == ["never read"]
    assert out.getvalue().rstrip().endswith("Bye! Your progress is saved.")


def test_enter_at_the_menu_picks_nothing_and_h_is_a_help_screen(tmp_path, clock):
    text = run(tmp_path, clock, ["", "h", "q"])
    assert "Type a number or a letter from the menu (h for help)." in text
    assert "New question" not in text
    assert "h help" in text and "Help" in text and "Ctrl-D or Ctrl-C while writing keeps" in text
    assert f"charts and exports: {tmp_path}" in text


def test_a_level_filter_keeps_to_one_level(tmp_path, clock):
    bank = Bank(tuple(question(f"db-{level}", level=level) for level in ("junior", "senior", "staff")))
    text = run(tmp_path, clock, ["v", "guru", "v", "senior", "2", "m", "q"], bank=bank)
    assert "Unknown level 'guru'. Choose one of: junior, mid, senior, staff." in text
    assert "Questions from now on: senior level." in text and "v level: senior questions only" in text
    assert "Question db-senior" in text and "Question db-junior" not in text and "Question db-staff" not in text


def test_the_opt_out_prompt_shows_the_setting_and_takes_only_yes_or_no(tmp_path, clock):
    text = run(tmp_path, clock, ["o", "maybe", "y", "o", "n", "q"])
    first, second = text.split("Hidden from leaderboards")
    assert "Leaderboards currently show your name." in first
    assert "Please answer y (hide it) or n (show it)." in first
    assert "Leaderboards currently hide your name." in second and "Back on the leaderboards" in second


def test_a_session_summary_on_quitting(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "", "1", "", "", "3", "m", "q"])
    assert "This session: 2 questions reviewed · 2 new · 1 recalled (Solid or better)" in " ".join(text.split())
    assert "No grades this session" in run(tmp_path, clock, ["q"])


def test_a_draft_is_kept_on_ctrl_d_and_offered_when_the_question_comes_back(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "w", "my half answer", "on two lines"], end=EOFError)
    assert "Draft saved" in text and "(27 characters)" in text
    text = run(tmp_path, clock, ["2", "", "3", "q"])  # a question shown and not graded is still current
    assert "Your saved draft" in text and "my half answer" in text
    assert "Your answer" in text.split("Your saved draft")[1]
    assert [r["answer_text"] for r in exported(tmp_path, clock)["reviews"]] == ["my half answer\non two lines"]


def test_a_too_long_answer_is_kept_to_its_first_part_by_choice(tmp_path, clock):
    answer = "first paragraph\n" + "y" * 4500  # (a blank line inside a paste: test_console_pty)
    text = run(tmp_path, clock, ["2", "w", *answer.split("\n"), "", "x", "t", "3", "q"])
    assert "Your answer is 4,516 characters; an answer holds at most 4,000." in " ".join(text.split())
    assert "Unknown choice 'x'" in text and "Recorded: Solid" in text
    assert [r["answer_text"] for r in exported(tmp_path, clock)["reviews"]] == [answer[:4000]]


def test_a_too_long_answer_can_be_edited(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("EDITOR", "truncate -s 120")  # a real program that edits the file in place
    monkeypatch.delenv("VISUAL", raising=False)
    text = run(tmp_path, clock, ["2", "w", "z" * 5000, "", "e", "3", "q"])
    assert "5,000 characters" in text and "Recorded: Solid" in text
    assert [r["answer_text"] for r in exported(tmp_path, clock)["reviews"]] == ["z" * 120]


def test_quitting_over_the_limit_keeps_the_first_part_as_a_draft(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "w", "w" * 4100, "", "q"])
    assert "Draft saved" in text and "the first 4,000 were kept" in text


def test_skip_undo_and_the_interval_each_grade_gives(tmp_path, clock):
    text = run(tmp_path, clock, ["2", "k", "", "k", "", "3", "u", "4", "", "", "1", "m", "s", "q"])
    assert text.count("Skipped") == 2  # from the question, then from the grade prompt
    assert re.search(r"1 Missed it · \d+d +2 Partial · \d+d +3 Solid · \d+d +4 Could teach it · \d+d", text)
    assert "Recorded: Solid" in text and "Your Solid grade is taken back" in text
    assert "Recorded: Could teach it" in text and "Recorded: Missed it" in text
    assert re.search(r"Reviews +2 \(2 today\)", text)  # the undone grade is gone
    assert "This session: 2 questions reviewed · 2 new · 1 recalled" in " ".join(text.split())
def index_question():
    return question(
        "db-mock-orders", "databases", "mid", time_box_minutes=15,
        title="Speed up the order history page",
        key_points=[
            {"text": "Composite index on (customer_id, created_at)", "level": "mid"},
            {"text": "Keyset pagination instead of a large OFFSET", "level": "senior"},
            {"text": "Check the plan with EXPLAIN ANALYZE", "level": "junior"},
        ],
        follow_ups=[
            {"question": "How would you page through ten thousand orders?", "probes": "pagination", "key_points": [1]},
            {"question": "How do you know the index is used?", "probes": "plans", "key_points": [2]},
        ],
    )  # fmt: skip


def test_a_mock_interview_in_the_terminal_runs_to_a_report_and_a_recorded_grade(tmp_path, clock):
    answer = "I would add a composite index on customer_id and created_at so the page reads few rows."
    lines = ["i", "2", "", "w", answer, "", "d", "w", "I would use keyset pagination on the last created_at seen.", "",
             "s", "", "i", "h", "q"]  # fmt: skip
    text = run(tmp_path, clock, lines, bank=Bank((index_question(),)))
    assert "Mock interview · Speed up the order history page" in text
    assert "11 min left of 11 min for this step" in text
    assert "Interviewer:" in text  # a follow-up on what the answer missed
    assert "Mock interview report · Databases, mid" in text
    assert "You stopped the round early" in text
    assert "✓ Composite index on (customer_id, created_at)" in text
    assert "Grade recorded" in text
    assert "Databases 20 min (mid) · stopped" in text  # the history
