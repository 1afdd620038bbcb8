"""Terminal practice: the embedded default, no tokens needed.

A thin loop over the core use cases. Input comes from `read` (input() by default) and output goes to
a rich Console, so tests drive it with scripted lines. Core calls run on one asyncio.Runner, so
Ctrl-C at a prompt is an ordinary KeyboardInterrupt in the main thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.core.actions import ActionKey
from bot.core.errors import DomainError
from bot.core.practice import LearnerRef, Practice
from bot.core.progress import Progress
from bot.core.replies import Reply, error_reply
from question_bank.schema import CATEGORIES, CATEGORY_NAMES

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
    parts: list[Any] = [markup(reply.body)] if reply.body else []
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
        practice: Practice,
        who: LearnerRef,
        *,
        console: Console | None = None,
        read: Callable[[str], str] = input,
    ):
        self.practice = practice
        self.who = who
        self.out = console or Console()
        self.read = read
        self._runner: asyncio.Runner | None = None

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self._runner is not None
        return self._runner.run(coro)

    def show(self, reply: Reply) -> None:
        self.out.print(render(reply))

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
            choice = self.ask("\nChoose [1-4, a, r, s, h, q]: ").lower()
            if choice in QUIT:
                self.out.print("Bye! Your progress is saved.")
                return
            if choice in HELP:
                self.out.print(self._menu_text())
            elif choice in STATS:
                self._guarded(lambda: Progress(self.practice).stats(self.who))
            elif choice in REVIEWS:
                self._session(None, reviews_only=True)
            elif choice in ANY:
                self._session(None)
            elif choice in MENU:
                self._session(MENU[choice])
            else:
                self.out.print(f"Unknown command '{escape(choice)}'. Type h for help.")

    def _menu_text(self) -> str:
        rows = [f"  [bold]{i}[/] {CATEGORY_NAMES[c]}" for i, c in enumerate(CATEGORIES, 1)]
        rows += ["  [bold]a[/] any category", "  [bold]r[/] due reviews only", "  [bold]s[/] stats", "  [bold]q[/] quit"]
        return "\n".join(rows)

    def _guarded(self, make: Callable[[], Coroutine[Any, Any, Reply]]) -> Reply | None:
        try:
            reply = self._call(make())
        except DomainError as exc:
            reply = error_reply(exc)
        self.show(reply)
        return reply

    def _session(self, category: str | None, *, reviews_only: bool = False) -> None:
        """Questions one after another until the learner goes back to the menu."""
        while True:
            reply = self._guarded(lambda: self.practice.next_question(self.who, category, reviews_only=reviews_only))
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
