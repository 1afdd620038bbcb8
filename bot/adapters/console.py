"""Terminal practice: the embedded default, no tokens needed.

A thin loop over the core use cases. Input comes from `read` (input() by default) and output goes to
a rich Console, so tests drive it with scripted lines. Core calls run on one asyncio.Runner, so
Ctrl-C at a prompt is an ordinary KeyboardInterrupt in the main thread. Files a reply carries (the
progress chart, a data export) are saved into `files_dir` and their paths printed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.core.actions import ActionKey
from bot.core.errors import DomainError
from bot.core.practice import LearnerRef
from bot.core.replies import Reply, error_reply, full_body
from question_bank.schema import CATEGORIES, CATEGORY_NAMES

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
ANY = ("a", "any", "")
REVIEWS = ("r", "review", "reviews", "due")
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
STYLE = {"question": "cyan", "reveal": "green", "graded": "magenta", "info": "blue", "error": "red"}


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
                parts.append(f"\n[bold]{escape(f.name)}[/]\n{markup(f.value)}")
    return Panel(
        Group(*parts),
        title=escape(reply.title),
        subtitle=escape(reply.footer) if reply.footer else None,
        border_style=STYLE.get(reply.kind, "white"),
    )


class ConsoleApp:
    def __init__(
        self,
        app: App,
        who: LearnerRef,
        *,
        console: Console | None = None,
        read: Callable[[str], str] = input,
        files_dir: Path = Path("."),
    ):
        self.app = app
        self.practice = app.practice
        self.who = who
        self.out = console or Console()
        self.read = read
        self.files_dir = files_dir
        self._runner: asyncio.Runner | None = None

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._runner is not None
        return self._runner.run(coro)

    def show(self, reply: Reply) -> None:
        self.out.print(render(reply))
        for file in reply.files:
            path = (self.files_dir / Path(file.filename).name).resolve()
            path.write_bytes(file.data)
            self.out.print(f"Saved {escape(file.description or file.filename)} to [bold]{escape(str(path))}[/]")

    def ask(self, prompt: str) -> str:
        return self.read(prompt).strip()

    def run(self, setup: Callable[[], Coroutine[Any, Any, Any]] | None = None) -> int:
        with asyncio.Runner() as runner:
            self._runner = runner
            try:
                if setup is not None:
                    runner.run(setup())
                self.out.print("[bold]Interview practice[/] · answer out loud or in writing, then grade yourself.")
                self._menu_loop()
            except (KeyboardInterrupt, EOFError):
                self.out.print("\nBye! Your progress is saved.")
            finally:
                self._runner = None
        return 0

    def _menu_loop(self) -> None:
        self.out.print(self._menu_text())
        while True:
            choice = self.ask("\nChoose [1-4, a, r, s, c, g, p, e, l, o, f, h, q]: ").lower()
            if choice in QUIT:
                self.out.print("Bye! Your progress is saved.")
                return
            if choice in HELP:
                self.out.print(self._menu_text())
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
                hide = self.ask("Hide you from leaderboards? [y/n]: ").lower() in ("y", "yes")
                self._guarded(lambda: self.app.progress.set_leaderboard_opt_out(self.who, hide))
            elif choice in FORGET:
                self._forget()
            elif choice in REVIEWS:
                self._session(lambda: self.practice.next_question(self.who, reviews_only=True))
            elif choice in ANY:
                self._session(lambda: self.practice.next_question(self.who))
            elif choice in MENU:
                category = MENU[choice]
                self._session(lambda: self.practice.next_question(self.who, category))
            else:
                self.out.print(f"Unknown command '{escape(choice)}'. Type h for help.")

    def _menu_text(self) -> str:
        rows = [f"  [bold]{i}[/] {CATEGORY_NAMES[c]}" for i, c in enumerate(CATEGORIES, 1)]
        rows += [
            "  [bold]a[/] any category", "  [bold]r[/] due reviews only",
            "  [bold]s[/] stats", "  [bold]c[/] progress chart (saved as a PNG)",
            "  [bold]g[/] goal: an interview date to prepare for", "  [bold]p[/] pace: new questions and reviews a day",
            "  [bold]e[/] export my data (saved as JSON)", "  [bold]l[/] link with Discord or Slack",
            "  [bold]o[/] leaderboard opt-out", "  [bold]f[/] forget me (delete all my data)", "  [bold]q[/] quit",
        ]  # fmt: skip
        return "\n".join(rows)

    def _stats(self) -> None:
        """Stats, then the weakest topics as numbered choices (the reply's buttons)."""
        reply = self._guarded(lambda: self.app.progress.stats(self.who))
        if reply is None or not reply.actions:
            return
        self.out.print("  ".join(f"[bold]{i}[/] {escape(a.label)}" for i, a in enumerate(reply.actions, 1)))
        pick = self.ask(f"Practise a topic [1-{len(reply.actions)}] or Enter for the menu: ")
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

    def _forget(self) -> None:
        prompt = self._guarded(lambda: self.app.accounts.forget_prompt(self.who))
        confirm = next((a for a in prompt.actions if a.style == "danger"), None) if prompt else None
        if confirm is None:
            return
        if self.ask("Type 'delete' to delete everything, or press Enter to keep it: ").lower() == "delete":
            self._guarded(lambda: self.app.buttons.press(self.who, confirm.key))
        else:
            self.out.print("Nothing was deleted.")

    def _guarded(self, make: Callable[[], Coroutine[Any, Any, Reply]]) -> Reply | None:
        try:
            reply = self._call(make())
        except DomainError as exc:
            reply = error_reply(exc)
        self.show(reply)
        return reply

    def _session(self, next_question: Callable[[], Coroutine[Any, Any, Reply]]) -> None:
        """Questions one after another until the learner goes back to the menu."""
        while True:
            reply = self._guarded(next_question)
            if reply is None or reply.kind != "question":
                return
            if not self._answer_flow(reply):
                return
            again = self.ask("Enter for the next question, m for the menu: ").lower()
            if again in ("m", "menu", *QUIT):
                self.out.print(self._menu_text())
                return

    def _answer_flow(self, question: Reply) -> bool:
        """Answer (optional), reveal, grade. False if the learner backs out to the menu."""
        reveal_key = next(a.key for a in question.actions if a.key.startswith("reveal:"))
        answer_key = ActionKey.parse(reveal_key)
        while True:
            step = self.ask("[w] write an answer, [Enter] reveal key points, [m] menu: ").lower()
            if step in ("m", "menu", *QUIT):
                self.out.print(self._menu_text())
                return False
            if step in ("w", "write"):
                self.out.print("Type your answer; finish with an empty line.")
                lines = []
                while line := self.read(""):
                    lines.append(line)
                key = ActionKey("answer", answer_key.question_id, answer_key.version).encode()
                reveal = self._guarded(lambda: self.practice.submit_answer(self.who, key, "\n".join(lines)))
                break
            if step in ("", "r", "reveal"):
                reveal = self._guarded(lambda: self.practice.reveal(self.who, reveal_key))
                break
            self.out.print(f"Unknown choice '{escape(step)}'.")
        if reveal is None or reveal.kind != "reveal":
            return True
        options = "  ".join(f"[bold]{i}[/] {a.label}" for i, a in enumerate(reveal.actions, 1))
        while True:
            self.out.print(options)
            pick = self.ask("Grade yourself [1-4]: ")
            if pick.isdigit() and 1 <= int(pick) <= len(reveal.actions):
                key = reveal.actions[int(pick) - 1].key
                self._guarded(lambda: self.practice.grade(self.who, key))
                return True
            self.out.print("Please type 1, 2, 3 or 4 (1 = missed it, 4 = could teach it).")
