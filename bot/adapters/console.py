"""Terminal practice: the embedded default, no tokens needed.

A thin loop over the core use cases. Input comes from `read` (input() by default, with readline's
line editing on a terminal, which also lifts the terminal's 4095-character line limit) and output goes
to a rich Console, so tests drive it with scripted lines. Core calls run on one asyncio.Runner, so
Ctrl-C at a prompt is an ordinary KeyboardInterrupt in the main thread.

Leaving: `q` at any prompt, Ctrl-D or Ctrl-C (exit status 130). Whatever the learner was writing is
kept as a draft first, and a session summary is printed. Files a reply carries (the progress chart, a
data export) are saved into `files_dir` and their paths printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.adapters.console_mock import run_mock
from bot.adapters.outcome import settle
from bot.core.actions import ActionKey
from bot.core.errors import DomainError
from bot.core.practice import MAX_ANSWER_CHARS, LearnerRef
from bot.core.replies import Action, Reply, error_reply, full_body, plural, when
from bot.core.scheduling import Rating
from question_bank.schema import CATEGORIES, CATEGORY_NAMES, LEVELS

if TYPE_CHECKING:
    from bot.bootstrap import App

T = TypeVar("T")

MENU = {
    "1": "system_design", "2": "databases", "3": "behavioral", "4": "backend",
    "system design": "system_design", "system_design": "system_design", "sd": "system_design",
    "databases": "databases", "database": "databases", "db": "databases",
    "behavioral": "behavioral", "behavioural": "behavioral", "bh": "behavioral",
    "backend": "backend", "be": "backend",
}  # fmt: skip
ANY = ("a", "any")
REVIEWS = ("r", "review", "reviews", "due")
LEVEL = ("v", "level")
STATS = ("s", "stats")
GOAL = ("g", "goal")
PACE = ("p", "pace")
CHART = ("c", "chart")
EXPORT = ("e", "export")
LINK = ("l", "link")
OPT_OUT = ("o", "opt-out", "leaderboard")
FORGET = ("f", "forget")
QUIT = ("q", "quit", "exit")
HELP = ("h", "help", "?")
MENU_BACK = ("m", "menu")
SKIP = ("k", "skip")
UNDO = ("u", "undo")
YES, NO = ("y", "yes"), ("n", "no")
MENU_KEYS = "1-4, a, r, v, i, s, c, g, p, e, l, o, f, h, q"
MOCK = ("i", "mock", "interview")
STYLE = {"question": "cyan", "reveal": "green", "graded": "magenta", "info": "blue", "error": "red"}
KEY_POINTS = "Key points"
COVERED, MISSED = "✅ ", "Not in your answer"  # the written-answer feedback's marks on the key points


def _is_key_point_field(name: str) -> bool:
    """The key points, plain or marked covered / missed by the feedback: shown last, by the grade prompt."""
    return name == KEY_POINTS or name.startswith((COVERED, MISSED))


class Quit(Exception):
    """The learner typed q at a prompt."""


def markup(text: str) -> str:
    """Reply text (plain, with **bold** and _italic_) as rich markup; everything else is escaped."""
    text = escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"[bold]\1[/bold]", text)
    return re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"[italic]\1[/italic]", text)


def render(reply: Reply) -> Panel:
    """A Reply as a rich panel. Question text is escaped: it is content, not markup."""
    body = full_body(reply)
    parts: list[Any] = [markup(body)] if body else []
    if reply.fields:
        inline = [f for f in reply.fields if f.inline]
        if inline:
            table = Table.grid(padding=(0, 2))
            for f in inline:
                table.add_row(f"[bold]{escape(f.name)}[/]", markup(f.value))
            parts.append(table)
        for f in reply.fields:
            if not f.inline:
                gap = "\n" if parts else ""
                parts.append(f"{gap}[bold]{escape(f.name)}[/]\n{markup(f.value)}")
    return Panel(
        Group(*parts),
        title=escape(reply.title),
        subtitle=escape(reply.footer) if reply.footer else None,
        border_style=STYLE.get(reply.kind, "white"),
    )


def typed_ahead() -> bool:
    """Whether more input is already waiting on a terminal (the rest of a paste), after a short wait."""
    try:
        return sys.stdin.isatty() and bool(select.select([sys.stdin], [], [], 0.05)[0])
    except (OSError, ValueError):
        return False


def actions_of(reply: Reply | None, verb: str) -> list[Action]:
    return [a for a in (reply.actions if reply else ()) if ActionKey.parse(a.key).verb == verb]


@dataclass
class Tally:
    """This session's grades, for the summary on quitting (an undone grade is taken off)."""

    reviewed: int = 0
    new: int = 0  # first grades of a question
    recalled: int = 0  # Solid or Could teach it, as retention counts them

    def add(self, grade: ActionKey, sign: int = 1) -> None:
        self.reviewed += sign
        self.new += sign * (grade.version == 0)
        self.recalled += sign * (grade.rating is not None and grade.rating >= Rating.GOOD)


class ConsoleApp:
    def __init__(
        self,
        app: App,
        who: LearnerRef,
        *,
        console: Console | None = None,
        read: Callable[[str], str] = input,
        files_dir: Path = Path("."),
        database: str = "",
        pending_input: Callable[[], bool] = typed_ahead,
    ):
        self.app = app
        self.practice = app.practice
        self.who = who
        self.out = console or Console(highlight=False)  # no colouring of numbers and paths in our sentences
        self.read = read
        self.files_dir = files_dir
        self.database = database  # where progress is kept, as the help screen names it
        self.pending_input = pending_input
        self.level: str | None = None
        self.tally = Tally()
        self.last_grade: ActionKey | None = None  # taken off the tally if undone
        self.answer = ""  # the learner's answer to the question on screen, shown beside the key points
        self._runner: asyncio.Runner | None = None

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._runner is not None
        return self._runner.run(coro)

    def show(self, reply: Reply) -> None:
        self.out.print(render(reply))
        self.save_files(reply)

    def save_files(self, reply: Reply) -> None:
        for file in reply.files:
            path = (self.files_dir / Path(file.filename).name).resolve()
            path.write_bytes(file.data)
            self.out.print(f"Saved {escape(file.title or file.filename)} to [bold]{escape(str(path))}[/]", soft_wrap=True)

    def ask(self, prompt: str) -> str:
        """One answer to a prompt; `q` quits from any of them."""
        answer = self.read(prompt).strip()
        if answer.lower() in QUIT:
            raise Quit
        return answer

    def run(self, setup: Callable[[], Coroutine[Any, Any, Any]] | None = None) -> int:
        """The session; the exit status: 0, or 130 after Ctrl-C."""
        status = 0
        with asyncio.Runner() as runner:
            self._runner = runner
            try:
                if setup is not None:
                    runner.run(setup())
                if self.read is input and sys.stdin.isatty():
                    import readline  # noqa: F401  line editing; reads lines longer than the terminal's 4095

                self.out.print("[bold]Interview practice[/] · answer out loud or in writing, then grade yourself.")
                if self.database:
                    self.out.print(f"[dim]Your progress is kept in {escape(self.database)}[/]", soft_wrap=True)
                self._menu_loop()
            except Quit:
                pass
            except EOFError:
                self.out.print()
            except KeyboardInterrupt:
                self.out.print()
                status = 130
            try:
                self.out.print(self._summary())
            except KeyboardInterrupt:
                status = 130
            self.out.print("Bye! Your progress is saved.")
            self._runner = None
        return status

    def _summary(self) -> str:
        snapshot = self._call(self.app.progress.snapshot(self.who))
        t = self.tally
        if snapshot.due_today:
            upcoming = f"{plural(snapshot.due_today, 'question')} still due today"
        elif snapshot.next_due is not None:
            upcoming = f"next review {when(snapshot.next_due, snapshot.today)}"
        else:
            upcoming = "nothing scheduled yet"
        if not t.reviewed:
            return f"No grades this session · {upcoming}."
        return (
            f"This session: {plural(t.reviewed, 'question')} reviewed · {t.new} new · "
            f"{t.recalled} recalled (Solid or better) · {upcoming}."
        )

    # the menu ------------------------------------------------------------------------------------
    def _menu_loop(self) -> None:
        self.out.print(self._menu_text())
        while True:
            choice = self.ask(f"\nChoose [{MENU_KEYS}]: ").lower()
            if not choice:
                self.out.print("Type a number or a letter from the menu (h for help).")
            elif choice in HELP:
                self._help()
            elif choice in LEVEL:
                self._choose_level()
            elif choice in STATS:
                self._stats()
            elif choice in GOAL:
                self._goal()
            elif choice in PACE:
                self._pace()
            elif choice in CHART:
                self._guarded(lambda: self.app.progress.chart(self.who))
            elif choice in EXPORT:
                self._guarded(lambda: self.app.accounts.export(self.who))
            elif choice in LINK:
                self._link()
            elif choice in OPT_OUT:
                self._opt_out()
            elif choice in FORGET:
                self._forget()
            elif choice in MOCK:
                run_mock(self)
            elif choice in REVIEWS:
                self._session(lambda: self.practice.next_question(self.who, level=self.level, reviews_only=True))
            elif choice in ANY:
                self._session(lambda: self.practice.next_question(self.who, level=self.level))
            elif choice in MENU:
                category = MENU[choice]
                self._session(lambda: self.practice.next_question(self.who, category, self.level))
            else:
                self.out.print(f"Unknown choice '{escape(choice)}'. Type h for help.")

    def _menu_text(self) -> str:
        rows = [f"  [bold]{i}[/] {CATEGORY_NAMES[c]}" for i, c in enumerate(CATEGORIES, 1)]
        level = f"{self.level} questions only" if self.level else "every level"
        rows += [
            "  [bold]a[/] any category", "  [bold]r[/] due reviews only",
            f"  [bold]v[/] level: {level}",
            "  [bold]s[/] stats", "  [bold]c[/] progress chart (saved as a PNG)",
            "  [bold]g[/] goal: an interview date to prepare for", "  [bold]p[/] pace: new questions and reviews a day",
            "  [bold]e[/] export my data (saved as JSON)", "  [bold]l[/] link with Discord, Slack or another terminal user",
            "  [bold]i[/] mock interview (timed, with follow-ups and a report)",
            "  [bold]o[/] leaderboard opt-out", "  [bold]f[/] forget me (delete all my data)",
            "  [bold]h[/] help", "  [bold]q[/] quit",
        ]  # fmt: skip
        return "\n".join(rows)

    def _help(self) -> None:
        cap = self.practice.config.daily_new_cap
        text = (
            "[bold]Practising[/]  1-4 picks a category, [bold]a[/] any, [bold]r[/] only what is due; "
            "[bold]v[/] keeps to one level. Due reviews come first, then new questions "
            f"(at most {cap} a day).\n"
            "[bold]A question[/]  answer out loud, or [bold]w[/] to write; Enter reveals the key points; "
            "[bold]k[/] skips it for now (it comes back later).\n"
            "[bold]Grading[/]  1 Missed it · 2 Partial · 3 Solid · 4 Could teach it. Each grade shows when the "
            "question comes back; [bold]u[/] right after a grade takes it back.\n"
            f"[bold]Writing[/]  finish with an empty line; a pasted answer is read whole. Up to "
            f"{MAX_ANSWER_CHARS:,} characters: past that you keep the first part or edit it ($EDITOR). "
            "Ctrl-D or Ctrl-C while writing keeps what you wrote as a draft.\n"
            "[bold]Leaving[/]  [bold]q[/] at any prompt, Ctrl-D, or Ctrl-C; every grade is saved the moment "
            "you give it. [bold]m[/] goes back to the menu.\n"
            f"[bold]Files[/]  progress: {escape(self.database or 'the configured DATABASE_URL')}\n"
            f"  charts and exports: {escape(str(self.files_dir.resolve()))}"
        )
        self.out.print(Panel(text, title="Help", border_style="blue"))

    def _choose_level(self) -> None:
        answer = self.ask(f"Level [{', '.join(LEVELS)}, or Enter for every level]: ").lower()
        if answer and answer not in LEVELS:
            self.out.print(f"Unknown level '{escape(answer)}'. Choose one of: {', '.join(LEVELS)}.")
            return
        self.level = answer or None
        self.out.print(f"Questions from now on: {self.level + ' level' if self.level else 'every level'}.")
        self.out.print(self._menu_text())

    def _stats(self) -> None:
        """Stats, then the weakest topics as numbered choices (the reply's actions)."""
        reply = self._guarded(lambda: self.app.progress.stats(self.who))
        if reply is None or not reply.actions:
            return
        self.out.print("  ".join(f"[bold]{i}[/] {escape(a.label)}" for i, a in enumerate(reply.actions, 1)))
        pick = self.ask(f"Practise a topic [1-{len(reply.actions)}], Enter for the menu, q to quit: ")
        if pick.isdigit() and 1 <= int(pick) <= len(reply.actions):
            key = reply.actions[int(pick) - 1].key
            self._session(lambda: self.app.buttons.press(self.who, key))

    def _goal(self) -> None:
        """Shows the goal; a date (or "off") then changes it, with optional categories and level."""
        self._guarded(lambda: self.app.plan.goal(self.who))
        day = self.ask("Interview date YYYY-MM-DD (off clears it), or Enter to keep it: ")
        if not day:
            return
        categories = self.ask(f"Categories, comma-separated ({', '.join(CATEGORIES)}), or Enter for all: ")
        level = self.ask("Up to level (junior, mid, senior, staff), or Enter for all: ").lower() or None
        self._guarded(lambda: self.app.plan.set_goal(self.who, day, [categories] if categories else [], level))

    def _pace(self) -> None:
        self._guarded(lambda: self.app.plan.set_pace(self.who))
        limits = []
        for what in ("new questions", "reviews"):
            typed = self.ask(f"At most how many {what} a day? (Enter keeps it): ")
            if typed and not typed.isdigit():
                self.out.print(f"'{escape(typed)}' is not a number; nothing changed.")
                return
            limits.append(int(typed) if typed else None)
        if any(n is not None for n in limits):
            self._guarded(lambda: self.app.plan.set_pace(self.who, *limits))

    def _link(self) -> None:
        code = self.ask("Enter the code from your other account, or press Enter to get a code for this one: ")
        if code:
            self._guarded(lambda: self.app.accounts.link(self.who, code))
        else:
            self._guarded(lambda: self.app.accounts.link_code(self.who))

    def _opt_out(self) -> None:
        hidden = self._call(self.app.progress.leaderboard_opt_out(self.who))
        self.out.print(f"Leaderboards currently {'hide' if hidden else 'show'} your name.")
        while (answer := self.ask("Hide your name from leaderboards? [y/n]: ").lower()) not in (*YES, *NO):
            self.out.print("Please answer y (hide it) or n (show it).")
        self._guarded(lambda: self.app.progress.set_leaderboard_opt_out(self.who, answer in YES))

    def _forget(self) -> None:
        prompt = self._guarded(lambda: self.app.accounts.forget_prompt(self.who))
        confirm = next((a for a in prompt.actions if a.style == "danger"), None) if prompt else None
        if confirm is None:
            return
        if self.ask("Type 'delete' to delete everything, or press Enter to keep it: ").lower() == "delete":
            self._guarded(lambda: self.app.buttons.press(self.who, confirm.key))
        else:
            self.out.print("Nothing was deleted.")

    def _guarded(self, make: Callable[[], Coroutine[Any, Any, Reply]], *, show: bool = True) -> Reply | None:
        """Run a use case; its reply (or the friendly text for what went wrong) is shown, unless
        `show` is off and it succeeded."""
        reply = self._call(settle(make()))
        assert reply is not None
        if show or reply.kind == "error":
            self.show(reply)
        return reply

    # a session of questions ----------------------------------------------------------------------
    def _session(self, next_question: Callable[[], Coroutine[Any, Any, Reply]]) -> None:
        """Questions one after another until the learner goes back to the menu."""
        while True:
            reply = self._guarded(next_question)
            if reply is None or reply.kind != "question":
                return
            done = self._answer_flow(reply)
            while done is not None and done.kind == "graded":  # a skip goes straight on
                undo = actions_of(done, "undo")
                offer = " · u undo that grade" if undo else ""
                again = self.ask(f"Enter next question{offer} · m menu · q quit: ").lower()
                if again in UNDO and undo:
                    done = self._undo(undo[0])
                elif again in MENU_BACK:
                    done = None
                elif again:
                    self.out.print(f"Unknown choice '{escape(again)}'.")
                else:
                    break
            if done is None:
                self.out.print(self._menu_text())
                return

    def _answer_flow(self, question: Reply) -> Reply | None:
        """Answer (optional), reveal, grade. The graded (or skipped) reply; None: back to the menu."""
        reveal_key = next(a.key for a in question.actions if a.key.startswith("reveal:"))
        asked = ActionKey.parse(reveal_key)
        answer_key = ActionKey("answer", asked.question_id, asked.version).encode()
        draft = self._call(self.practice.draft(self.who, asked.question_id))
        if draft:
            self.out.print(self._answer_panel(draft, "Your saved draft", room=8))
        skip = actions_of(question, "skip")
        while True:
            offer = " · k skip" if skip else ""
            write = "w add to your draft" if draft else "w write an answer"
            step = self.ask(f"{write} · Enter reveal the key points{offer} · m menu · q quit: ").lower()
            if step in MENU_BACK:
                return None
            if step in SKIP and skip:
                return self._guarded(lambda: self.app.buttons.press(self.who, skip[0].key))
            if step in ("w", "write"):
                self.answer = self._write(answer_key, draft)
                reveal = self._guarded(lambda: self.practice.submit_answer(self.who, answer_key, self.answer), show=False)
                break
            if step in ("", "r", "reveal"):
                self.answer = draft or ""
                reveal = self._guarded(lambda: self.practice.reveal(self.who, reveal_key), show=False)
                break
            self.out.print(f"Unknown choice '{escape(step)}'.")
        if reveal is None or reveal.kind != "reveal":
            return reveal
        return self._grade(reveal)

    def _grade(self, reveal: Reply) -> Reply | None:
        """The key points (with the learner's answer), then a grade (or a skip) from the reveal's choices."""
        self._show_reveal(reveal, self.answer)
        grades, skip = actions_of(reveal, "grade"), actions_of(reveal, "skip")
        options = "  ".join(f"[bold]{i}[/] {escape(a.label)}" for i, a in enumerate(grades, 1))
        while True:
            self.out.print(options)
            pick = self.ask(f"Grade yourself [1-{len(grades)}]{', k to skip' if skip else ''}: ").lower()
            if pick in SKIP and skip:
                return self._guarded(lambda: self.app.buttons.press(self.who, skip[0].key))
            if pick.isdigit() and 1 <= int(pick) <= len(grades):
                key = ActionKey.parse(grades[int(pick) - 1].key)
                graded = self._guarded(lambda: self.practice.grade(self.who, key.encode()))
                if graded is not None and graded.kind == "graded":
                    self.tally.add(key)
                    self.last_grade = key
                return graded
            self.out.print("Please type 1, 2, 3 or 4 (1 = missed it, 4 = could teach it), or q to quit.")

    def _undo(self, undo: Action) -> Reply | None:
        """Take the last grade back; the key points come back to grade again."""
        reply = self._guarded(lambda: self.app.buttons.press(self.who, undo.key), show=False)
        if reply is None or not actions_of(reply, "grade"):  # refused, or the question is gone
            if reply is not None:
                self.show(reply)
            return reply
        if self.last_grade is not None:
            self.tally.add(self.last_grade, sign=-1)
            self.last_grade = None
        return self._grade(reply)

    # writing an answer ---------------------------------------------------------------------------
    def _write(self, answer_key: str, draft: str | None) -> str:
        """Lines until an empty one (a pasted answer, blank lines and all, is read whole). Ctrl-D or
        Ctrl-C keeps what was written as a draft, then leaves. Never longer than the limit."""
        self.out.print(
            "Write your answer; finish with an empty line. "
            "Ctrl-D or Ctrl-C keeps what you wrote as a draft and quits."
        )
        lines = [draft] if draft else []
        try:
            while True:
                line = self.read("")
                if line == "" and not self.pending_input():
                    break
                lines.append(line)
        except (EOFError, KeyboardInterrupt):
            self._keep_draft(answer_key, "\n".join(lines))
            raise
        return self._fit("\n".join(lines).strip(), answer_key)

    def _fit(self, text: str, answer_key: str) -> str:
        """An answer within the limit, by the learner's choice: keep its first part or edit it."""
        while len(text) > MAX_ANSWER_CHARS:
            self.out.print(
                f"Your answer is {len(text):,} characters; an answer holds at most {MAX_ANSWER_CHARS:,}. "
                "Nothing is lost until you choose."
            )
            try:
                choice = self.ask(f"t keep the first {MAX_ANSWER_CHARS:,} characters · e edit it · q quit: ").lower()
            except (Quit, EOFError, KeyboardInterrupt):
                self._keep_draft(answer_key, text)
                raise
            if choice in ("t", "trim", "keep"):
                text = text[:MAX_ANSWER_CHARS].strip()
            elif choice in ("e", "edit"):
                text = self._edit(text)
            else:
                self.out.print(f"Unknown choice '{escape(choice)}'.")
        return text

    def _edit(self, text: str) -> str:
        """The text after the learner edits it in $VISUAL / $EDITOR (else nano or vi)."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or shutil.which("nano") or shutil.which("vi")
        if not editor:
            self.out.print("No editor found: set EDITOR (for example EDITOR=nano) to edit here.")
            return text
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "answer.md"
            path.write_text(text, encoding="utf-8")
            done = subprocess.run([*shlex.split(editor), str(path)], check=False)
            if done.returncode != 0:
                self.out.print(f"The editor stopped with status {done.returncode}; your answer is unchanged.")
                return text
            return path.read_text(encoding="utf-8", errors="replace").strip()

    def _keep_draft(self, answer_key: str, text: str) -> None:
        if text.strip():
            self._guarded(lambda: self.practice.save_draft(self.who, answer_key, text))

    # the reveal, on one screen -------------------------------------------------------------------
    def _show_reveal(self, reveal: Reply, answer: str) -> None:
        """Outline, follow-ups and pitfalls first; then the learner's answer and the key points last,
        so both are on screen (24 lines are enough) when the grade prompt appears."""
        marked = [f for f in reveal.fields if _is_key_point_field(f.name)]
        rest = tuple(f for f in reveal.fields if not _is_key_point_field(f.name))
        self.out.print(render(replace(reveal, title="More on this question", body="", fields=rest)))
        lines = [f.value if not f.name.startswith(COVERED) else f"{f.name}: {f.value}" for f in marked]
        points = "\n\n".join([reveal.body, "\n".join(lines)]) if lines else reveal.body
        last = render(replace(reveal, body=points, fields=(), footer=""))
        if answer:
            room = self.out.height - len(self.out.render_lines(last, pad=False)) - 4
            self.out.print(self._answer_panel(answer, "Your answer", room=room))
        self.out.print(last)

    def _answer_panel(self, text: str, title: str, *, room: int) -> Panel:
        """The learner's text in a panel at most `room` lines high (at least 3), cut with a note."""
        width = max(20, self.out.width - 4)
        lines = [row for para in text.splitlines() for row in (textwrap.wrap(para, width) or [""])]
        inside = max(1, room - 2)
        if len(lines) > inside:
            lines = lines[: inside - 1] + [f"… {plural(len(lines) - inside + 1, 'more line')} (all kept)"]
        return Panel(Text("\n".join(lines)), title=title, border_style="white")
