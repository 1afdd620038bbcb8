"""`python -m bot practice` in a real pseudo-terminal, 80x24, as a learner types and pastes into it.

What only a terminal shows: Ctrl-C and Ctrl-D as the tty delivers them, lines longer than the tty's
4095-character canonical-mode limit, pastes (bracketed, with blank lines), and what fits on 24 rows.
"""

from __future__ import annotations

import os
import re
import sqlite3
import signal
import sys
from pathlib import Path

import pexpect

from tests.conftest import default_database
from tests.e2e.test_cli import ROOT

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # what a terminal sends around a paste (bracketed paste)
ROWS, COLUMNS = 24, 80


def practice(tmp_path: Path, *args: str, cwd: Path | None = None) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BANK_DIR", "EDITOR", "VISUAL"))}
    env |= {"TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    return pexpect.spawn(
        sys.executable, ["-m", "bot", "practice", "--user", "pty", "--timezone", "UTC", *args],
        cwd=str(cwd or tmp_path), env=env, encoding="utf-8", dimensions=(ROWS, COLUMNS), timeout=120,
        preexec_fn=_interruptible,
    )  # fmt: skip


def _interruptible() -> None:
    """Ctrl-C interrupts the child as in a terminal, even when the test runner was started in the
    background (a non-interactive shell starts background jobs with SIGINT ignored, and children
    inherit that, as they inherit a blocked signal mask)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def start_writing(child: pexpect.spawn) -> None:
    """From the menu to writing an answer to a databases question."""
    child.expect(r"Choose \[")
    child.sendline("2")
    child.expect("w write an answer")
    child.sendline("w")
    child.expect("finish with an empty line")


def plain(text: str) -> str:
    return ANSI.sub("", text)


def finish(child: pexpect.spawn) -> tuple[int, str]:
    """Wait for the process to end: its exit status and the rest of its output."""
    child.expect(pexpect.EOF)
    rest = plain(child.before)
    child.close()
    return child.exitstatus, rest


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_long_multi_paragraph_paste_is_read_whole_and_the_reveal_fits_80x24(tmp_path):
    answer = "First paragraph of my answer.\n\n" + "word " * 1200  # one line of 6000 characters
    child = practice(tmp_path)
    start_writing(child)
    child.send(PASTE_START + answer.replace("\n", "\r") + PASTE_END)
    child.send("\r\r")
    child.expect(r"Your answer is ([\d,]+) characters;")
    assert child.match.group(1) == f"{len(answer.strip()):,}"
    child.expect("e edit it")
    child.sendline("t")
    child.expect(r"Grade yourself \[1-4\], k to skip: ")
    screen = plain(child.before).split("\n")[-(ROWS - 1) :]  # what is on the 24 rows with the prompt
    assert max(len(line) for line in plain(child.before).split("\n")) <= COLUMNS
    on_screen = "\n".join(screen)
    assert "Your answer" in on_screen and "First paragraph of my answer." in on_screen
    assert "Key points:" in on_screen and "☐" in on_screen and re.search(r"3 Solid · \d+d", on_screen)
    assert "Suggested grade" in on_screen  # what the written-answer feedback made of it, by the prompt
    child.sendline("3")
    child.expect("Enter next question")
    child.sendline("q")
    status, rest = finish(child)
    assert status == 0
    assert "This session: 1 question reviewed · 1 new · 1 recalled" in " ".join(rest.split())
    stored = rows(default_database(tmp_path), "SELECT answer_text FROM reviews")
    assert stored == [(answer.strip()[:4000].strip(),)]


def test_ctrl_c_while_writing_keeps_the_draft_and_exits_130(tmp_path):
    child = practice(tmp_path)
    start_writing(child)
    child.sendline("I would start with the access pattern")
    child.send("and then")  # half a line, not yet entered
    child.expect("and then")  # echoed: the line editor has it
    child.sendintr()
    child.expect("Draft saved")
    status, rest = finish(child)
    assert status == 130 and "Bye! Your progress is saved." in rest
    assert rows(default_database(tmp_path), "SELECT draft_answer FROM cards") == [
        ("I would start with the access pattern",)
    ]

    child = practice(tmp_path)  # the draft is waiting, and a plain (unbracketed) paste keeps its blank line
    child.expect(r"Choose \[")
    child.sendline("2")
    child.expect("Your saved draft")
    child.expect("w add to your draft")
    child.sendline("w")
    child.expect("finish with an empty line")
    child.send("second paragraph\r\rthird paragraph\r")
    child.expect("third paragraph")
    child.sendeof()  # Ctrl-D on an empty line
    child.expect("Draft saved")
    status, _ = finish(child)
    assert status == 0
    assert rows(default_database(tmp_path), "SELECT draft_answer FROM cards") == [
        ("I would start with the access pattern\nsecond paragraph\n\nthird paragraph",)
    ]


def test_menu_choices_help_level_and_opt_out_in_a_terminal(tmp_path):
    child = practice(tmp_path)
    child.expect(r"Choose \[")
    child.sendline("")
    child.expect("Type a number or a letter from the menu")
    child.sendline("h")
    child.expect("Help")
    child.expect(r"Choose \[")
    child.sendline("v")
    child.expect(r"Level \[junior, mid, senior, staff")
    child.sendline("staff")
    child.expect("level: staff questions only")
    child.sendline("o")
    child.expect("Leaderboards currently show your name.")
    child.expect(r"Hide your name from leaderboards\? \[y/n\]")
    child.sendline("sure")
    child.expect(r"Please answer y \(hide it\) or n \(show it\)")
    child.sendline("y")
    child.expect("Hidden from leaderboards")
    child.sendline("1")
    child.expect(r"Level(\x1b\[0m)? +Staff")
    child.sendline("q")
    status, rest = finish(child)
    assert status == 0 and "No grades this session" in rest
    assert rows(default_database(tmp_path), "SELECT leaderboard_opt_out FROM learners") == [(1,)]


def test_skip_grade_undo_quit_and_find_the_same_progress_from_another_folder(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    child = practice(tmp_path, cwd=first)
    child.expect(r"Choose \[")
    child.sendline("a")
    child.expect("k skip")
    child.sendline("k")
    child.expect("Skipped")
    for grade in ("3", "4", "1"):
        child.expect("w write an answer")
        child.sendline("")
        child.expect(r"Grade yourself \[1-4\]")
        child.sendline(grade)
        child.expect("Recorded:")
        child.expect("Enter next question · u undo that grade")
        if grade != "1":
            child.sendline("")
    child.sendline("u")
    child.expect("grade is taken back")
    child.expect(r"Grade yourself \[1-4\]")
    child.sendline("q")
    status, rest = finish(child)
    assert status == 0
    assert "This session: 2 questions reviewed · 2 new · 2 recalled" in " ".join(rest.split())

    child = practice(tmp_path, cwd=second)
    child.expect(r"Choose \[")
    child.sendline("s")
    child.expect(r"Reviews(\x1b\[0m)? +2 \(2 today\)")
    child.expect("Practise a topic")
    child.sendline("q")
    assert finish(child)[0] == 0
    assert not list(first.iterdir()) and not list(second.iterdir())  # nothing written where it ran
