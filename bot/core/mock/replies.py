"""Every string a mock interview shows: the step in progress, nudges, the report and the history."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.actions import ActionKey
from bot.core.mock import rounds
from bot.core.replies import RATING_LABELS, Action, Field, Reply, category_name, when
from bot.core.scheduling import Rating
from question_bank.schema import Question
from storage.mocks import MockRecord, StepRecord

ALREADY_RUNNING = "You already have a mock interview running: here is where you are. Stop it to start another."
NOTED = "Noted."
NO_MOCK = Reply(
    title="No mock interview running",
    body="Start one with a category: system design (30, 45 or 60 minutes), databases or backend (20), behavioral (30).",
    kind="info",
)
MOVED_ON = "This mock moved on since; nothing was changed."
NOT_OURS = "That button is not one of ours."
NOT_YOURS = "That mock interview is not yours, or is gone."
UNKNOWN_CATEGORY = "Pick a category: system design, databases, behavioral or backend."
UNKNOWN_LEVEL = "Pick a level: junior, mid, senior or staff."
DESIGN_LENGTHS = "A system design mock lasts 30, 45 or 60 minutes."


def fixed_length(category: str, minutes: int) -> str:
    return f"A {category_name(category).lower()} mock lasts {minutes} minutes."


def no_questions(category: str, level: str) -> str:
    return f"There are not enough {category_name(category).lower()} questions at {level} level here for a mock."


def notes_too_long(length: int, limit: int) -> str:
    return f"Notes are sent {limit:,} characters at a time (yours has {length:,}): send them in parts."


def step_full(limit: int) -> str:
    return f"This step already holds {limit:,} characters of notes: move on with Done."


def _echo(text: str) -> str:
    return f"\n\nWhat you wrote, so it is not lost:\n{text}" if text else ""


def ended(text: str) -> str:
    return "This mock interview has ended; nothing was changed." + _echo(text)


def moved_on(text: str) -> str:
    return "That step of the mock is over (you moved on); nothing was changed." + _echo(text)


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes >= 1 or seconds <= 0 else "under a minute"


def _time_field(mock: MockRecord, step: StepRecord, now: datetime) -> str:
    assert step.started_at is not None
    left_step = step.started_at + timedelta(seconds=step.box_seconds) - now
    left_mock = mock.started_at + timedelta(minutes=mock.minutes) - now
    if left_step.total_seconds() > 0:
        here = f"{_minutes(left_step.total_seconds())} left of {_minutes(step.box_seconds)} for this step"
    else:
        here = f"**Time is up for this step** (over by {_minutes(-left_step.total_seconds())}): wrap up and press Done"
    overall = (
        f"{_minutes(left_mock.total_seconds())} left in the mock"
        if left_mock.total_seconds() > 0
        else f"the mock is over time by {_minutes(-left_mock.total_seconds())}"
    )
    return f"{here} · {overall}"


def step_actions(mock: MockRecord, step: StepRecord) -> tuple[Action, ...]:
    def key(verb: str) -> str:
        return ActionKey(verb, str(mock.id), step.position).encode()

    return (
        Action("Add notes", key("mnote"), "primary", "write what you would say; send as many notes as you like"),
        Action("Done, next step", key("mdone"), "success", "move on to the next step"),
        Action("Stop the mock", key("mstop"), "danger", "end it now and see the report so far"),
    )


def step_reply(
    mock: MockRecord, steps: list[StepRecord], questions: dict[str, Question], now: datetime, *, notice: str = ""
) -> Reply:
    step = steps[mock.current_step]
    q = questions.get(step.question_id)
    if step.kind == "probe":
        body = f"**Interviewer:** {step.probe_text}"
    else:
        body = q.prompt if q else step.question_id
    guide = rounds.PHASE_HELP.get(step.name, "Answer the follow-up: say what you would do and why.")
    fields = [
        Field("Step", f"{step.position + 1} of {len(steps)}: {step.title}"),
        Field("Time", _time_field(mock, step, now), inline=False),
        Field("What to cover", guide, inline=False),
    ]
    if step.notes:
        words = len(step.notes.split())
        fields.append(Field("Your notes for this step", f"{words} word{'s' if words != 1 else ''} so far", inline=False))
    return Reply(
        title=f"Mock interview · {q.title if q else category_name(mock.category)}",
        body=body,
        fields=tuple(fields),
        actions=step_actions(mock, step),
        footer=f"{category_name(mock.category)} · {mock.level} · {mock.minutes} min · mock {mock.id}",
        kind="question",
        notice=notice,
    )


def time_up(mock: MockRecord, steps: list[StepRecord], now: datetime) -> Reply:
    step = steps[mock.current_step]
    following = steps[mock.current_step + 1].title if mock.current_step + 1 < len(steps) else "the report"
    return Reply(
        title=f"Time is up: {step.title}",
        body=f"Wrap this step up and press Done to move on to {following}.",
        fields=(Field("Time", _time_field(mock, step, now), inline=False),),
        actions=step_actions(mock, step),
        footer=f"mock {mock.id}",
        kind="info",
    )


def _level_line(part: rounds.QuestionReport) -> str:
    signals = ", ".join(f"{level} {got}/{want}" for level, (got, want) in part.signals.items())
    shown = f"showed **{part.level_shown}** signals" if part.level_shown else "no level signal yet"
    return f"{shown} (key points covered by level: {signals})"


def _question_field(index: int, part: rounds.QuestionReport) -> Field:
    lines = [f"Covered {len(part.covered) + len(part.recovered)} of {len(part.key_points)} key points; {_level_line(part)}."]
    for i in part.covered:
        lines.append(f"✓ {part.key_points[i]}: “{part.evidence.get(i, '')}”")
    for i in part.recovered:
        quote = f": “{part.evidence[i]}”" if i in part.evidence else ""
        lines.append(f"✓ {part.key_points[i]} (only on a follow-up){quote}")
    for i in part.missed:
        lines.append(f"✗ {part.key_points[i]} _({part.levels[i]})_")
    if part.probes_asked:
        lines.append(f"Follow-ups answered: {part.probes_answered} of {part.probes_asked}.")
    if part.star_covered:
        lines.append(f"STAR parts heard: {', '.join(part.star_covered)}.")
    label = RATING_LABELS[Rating(part.suggested_grade)][0]
    lines.append(f"Suggested grade: **{label}**. Confirm it or pick another below.")
    return Field(f"{index + 1}. {part.title}", "\n".join(lines), inline=False)


def _time_lines(report: rounds.Report) -> str:
    lines = []
    for s in report.steps:
        if s.used_seconds == 0 and s.skipped:
            lines.append(f"{s.title}: skipped (box {_minutes(s.box_seconds)})")
            continue
        over = f", **over by {_minutes(s.over_seconds)}**" if s.over_seconds >= 60 else ""
        empty = " (no notes)" if s.skipped else ""
        lines.append(f"{s.title}: {_minutes(s.used_seconds)} of {_minutes(s.box_seconds)}{over}{empty}")
    return "\n".join(lines)


STATUS_LINES = {
    "finished": "You finished the round.",
    "stopped": "You stopped the round early: this report covers what you reached.",
    "expired": "This mock closed itself after being left idle past its length: a partial report.",
}


def report_reply(mock: MockRecord, report: rounds.Report, confirmed: dict[str, int]) -> Reply:
    total = f"{_minutes(report.total_seconds)} of {report.minutes} min"
    if report.over_seconds >= 60:
        total += f", over time by {_minutes(report.over_seconds)}"
    fields = [Field("Time", total), Field("Time per step", _time_lines(report), inline=False)]
    fields += [_question_field(i, part) for i, part in enumerate(report.questions)]
    actions = []
    for i, part in enumerate(report.questions):
        if part.question_id in confirmed:
            continue
        for rating in Rating:
            label, hint, style = RATING_LABELS[rating]
            suggested = rating == part.suggested_grade
            prefix = f"Q{i + 1} " if len(report.questions) > 1 else ""
            actions.append(
                Action(f"{prefix}{label}{' (suggested)' if suggested else ''}",
                       ActionKey("mgrade", str(mock.id), i, int(rating)).encode(),
                       "primary" if suggested else "secondary", hint)  # fmt: skip
            )
    return Reply(
        title=f"Mock interview report · {category_name(mock.category)}, {mock.level}",
        body=STATUS_LINES.get(report.status, ""),
        fields=tuple(fields),
        actions=tuple(actions),
        footer=f"mock {mock.id}",
        kind="reveal",
    )


def confirmed(title: str, rating: Rating, due: date, today: date) -> Reply:
    return Reply(
        title="Grade recorded",
        body=f"{title}: **{RATING_LABELS[rating][0]}**. It comes back {when(due, today)}.",
        kind="graded",
    )


def already_confirmed(title: str, rating: Rating) -> Reply:
    return Reply(
        title="Already recorded",
        body=f"{title} was already graded **{RATING_LABELS[rating][0]}** from this mock; nothing changed.",
        kind="info",
    )


def history_reply(past: list[tuple[MockRecord, rounds.Report]]) -> Reply:
    if not past:
        return Reply(title="No mock interviews yet", body=NO_MOCK.body, kind="info")
    lines = []
    shares = []
    for mock, report in past:
        covered = sum(len(q.covered) + len(q.recovered) for q in report.questions)
        total = sum(len(q.key_points) for q in report.questions)
        share = covered / total if total else 0.0
        shares.append(share)
        levels = ", ".join(q.level_shown or "none" for q in report.questions)
        lines.append(
            f"{mock.started_at:%d %b %Y} · {category_name(mock.category)} {mock.minutes} min ({mock.level}) · "
            f"{report.status} · {covered}/{total} key points · level shown: {levels}"
        )
    trend = " → ".join(f"{s:.0%}" for s in reversed(shares))
    return Reply(
        title="Your mock interviews",
        body="\n".join(lines),
        fields=(Field("Key points covered, oldest to newest", trend, inline=False),),
        kind="info",
    )
