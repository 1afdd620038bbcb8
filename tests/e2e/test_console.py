"""The terminal adapter driven with scripted input, on a real SQLite file."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from rich.console import Console

from bot.adapters.console import ConsoleApp
from bot.core.practice import LearnerRef
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from tests.conftest import make_practice
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


def run(tmp_path, clock, lines, *, bank: Bank | None = None, end: type[BaseException] = EOFError) -> str:
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    practice = make_practice(engine, bank or small_bank(), clock)
    out = io.StringIO()
    app = ConsoleApp(practice, LearnerRef("console", "tester"), console=Console(file=out, width=100), read=Script(lines, end))
    assert app.run(lambda: upgrade(engine)) == 0
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
    assert "day(s) overdue" in text or "due today" in text
    assert "Recorded: Solid" in text


def test_ctrl_d_and_ctrl_c_leave_gracefully(tmp_path, clock):
    assert "Bye! Your progress is saved." in run(tmp_path, clock, ["2"], end=EOFError)
    assert "Bye! Your progress is saved." in run(tmp_path, clock, ["2", ""], end=KeyboardInterrupt)


def test_unknown_commands_and_bad_grades_are_explained(tmp_path, clock):
    text = run(tmp_path, clock, ["dance", "2", "", "9", "3", "m", "q"])
    assert "Unknown command 'dance'" in text
    assert "Please type 1, 2, 3 or 4" in text and "Recorded: Solid" in text


def test_an_empty_category_says_so(tmp_path, clock):
    text = run(tmp_path, clock, ["3", "q"], bank=Bank((question("db-only"),)))
    assert "All caught up" in text and "seen every question" in text


def test_question_text_is_not_interpreted_as_markup(tmp_path, clock):
    bank = Bank((question("db-markup", title="Use [bold]x[/bold] and [red]"),))
    text = run(tmp_path, clock, ["2", "q"], bank=bank)
    assert "[bold]x[/bold]" in text
