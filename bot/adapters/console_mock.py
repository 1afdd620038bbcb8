"""Mock interviews in the terminal: choose a round, write notes step by step, then the report.

The round lives in the database, so quitting (or Ctrl-C) mid-mock loses nothing: `i` again continues
where you were. Time-up is shown on each step (the terminal needs no push worker for nudges).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

from bot.core.replies import Reply

if TYPE_CHECKING:
    from bot.adapters.console import ConsoleApp

CATEGORIES = {"1": "system_design", "2": "databases", "3": "behavioral", "4": "backend"}
LEVELS = ("junior", "mid", "senior", "staff")
STEP_PROMPT = "[w] write notes, [d] done with this step, [s] stop the mock, [m] menu (the mock keeps running): "


def key(reply: Reply, verb: str) -> str | None:
    return next((a.key for a in reply.actions if a.key.startswith(verb + ":")), None)


def run_mock(ui: ConsoleApp) -> None:
    current = ui._guarded(lambda: ui.app.mocks.current(ui.who))
    if current is not None and key(current, "mdone"):
        _steps(ui, current)
        return
    choice = ui.ask("Mock interview: [1] system design, [2] databases, [3] behavioral, [4] backend, "
                    "[h] past mocks, Enter for the menu: ").lower()  # fmt: skip
    if choice in ("h", "history"):
        ui._guarded(lambda: ui.app.mocks.history(ui.who))
        return
    category = CATEGORIES.get(choice)
    if category is None:
        return
    minutes = None
    if category == "system_design":
        length = ui.ask("Length in minutes [30, 45, 60; Enter for 45]: ")
        minutes = int(length) if length.isdigit() else None
    level = ui.ask("Level [junior, mid, senior, staff; Enter for mid]: ").lower() or None
    started = ui._guarded(lambda: ui.app.mocks.start(ui.who, category, minutes=minutes, level=level))
    if started is not None and key(started, "mdone"):
        _steps(ui, started)


def _steps(ui: ConsoleApp, reply: Reply) -> None:
    while True:
        done, stop = key(reply, "mdone"), key(reply, "mstop")
        if done is None or stop is None:  # the report (or an error): confirm grades, then back to the menu
            _confirm_grades(ui, reply)
            return
        command = ui.ask(STEP_PROMPT).lower()
        if command in ("w", "write"):
            notes = key(reply, "mnote")
            assert notes is not None
            text = _read_notes(ui, notes)
            reply = ui._guarded(lambda: ui.app.mocks.add_notes(ui.who, notes, text)) or reply
        elif command in ("d", "done"):
            reply = ui._guarded(lambda: ui.app.mocks.done(ui.who, done)) or reply
        elif command in ("s", "stop"):
            reply = ui._guarded(lambda: ui.app.mocks.stop(ui.who, stop)) or reply
        elif command in ("m", "menu"):
            ui.out.print("The mock keeps running: choose i at the menu to continue it.")
            return
        else:
            ui.out.print(f"Unknown choice '{escape(command)}'.")


def _read_notes(ui: ConsoleApp, notes_key: str) -> str:
    """Lines until an empty one (a paste is read whole). Ctrl-D or Ctrl-C keeps what was written as
    notes of this step, then leaves: the mock goes on where it was."""
    ui.out.print("Type your notes; finish with an empty line. Ctrl-D or Ctrl-C keeps them and quits.")
    lines: list[str] = []
    try:
        while True:
            line = ui.read("")
            if line == "" and not ui.pending_input():
                return "\n".join(lines)
            lines.append(line)
    except (EOFError, KeyboardInterrupt):
        if any(line.strip() for line in lines):
            ui._guarded(lambda: ui.app.mocks.add_notes(ui.who, notes_key, "\n".join(lines)))
        raise


def _confirm_grades(ui: ConsoleApp, report: Reply) -> None:
    """One grade per question of the report: Enter takes the suggested one."""
    by_question: dict[str, list[str]] = {}
    for action in report.actions:
        if action.key.startswith("mgrade:"):
            by_question.setdefault(action.key.rsplit(":", 2)[1], []).append(action.key)
    for index, grade_keys in by_question.items():
        labels = [a.label for a in report.actions if a.key in grade_keys]
        suggested = next((i for i, label in enumerate(labels, 1) if "(suggested)" in label), 3)
        ui.out.print("  ".join(f"[bold]{i}[/] {escape(label)}" for i, label in enumerate(labels, 1)))
        pick = ui.ask(f"Grade question {int(index) + 1} [1-4, Enter for {suggested}]: ") or str(suggested)
        if pick.isdigit() and 1 <= int(pick) <= len(grade_keys):
            chosen = grade_keys[int(pick) - 1]
            ui._guarded(lambda: ui.app.mocks.confirm(ui.who, chosen))
