"""The neutral reply model the use cases return, and every user-visible string of the core.

Adapters render a Reply: Discord as an embed with buttons, Slack as Block Kit, the console as text.
Text here is plain with light markdown (**bold**, bullet lines) that all three can show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.actions import ActionKey
from bot.core.errors import (
    DatabaseUnavailable,
    DomainError,
    InvalidBank,
    InvalidInput,
    NotAllowed,
    StaleAction,
    UnknownQuestion,
)
from bot.core.scheduling import Rating
from question_bank.loader import topic_name
from question_bank.schema import CATEGORY_NAMES, Question


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Action:
    label: str
    key: str  # an ActionKey, encoded
    style: str = "secondary"  # primary | secondary | success | danger
    hint: str = ""  # a longer explanation, for surfaces that can show one


@dataclass(frozen=True)
class File:
    """An attachment: a chart PNG, an export JSON."""

    filename: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class Reply:
    title: str
    body: str = ""
    fields: tuple[Field, ...] = ()
    actions: tuple[Action, ...] = ()
    footer: str = ""
    private: bool = True
    kind: str = "info"  # question | reveal | graded | info | error
    files: tuple[File, ...] = ()
    notice: str = ""  # for the asker alone (e.g. their daily question was paused): never posted publicly


def full_body(reply: Reply) -> str:
    """The body as the asker reads it: a pending notice first, in bold."""
    if not reply.notice:
        return reply.body
    return f"**{reply.notice}**\n\n{reply.body}" if reply.body else f"**{reply.notice}**"


# What each self-grade means for an interview answer.
RATING_LABELS = {
    Rating.AGAIN: ("Missed it", "missed the key points", "danger"),
    Rating.HARD: ("Partial", "hit some key points, missed others", "secondary"),
    Rating.GOOD: ("Solid", "a solid answer that hit the key points", "primary"),
    Rating.EASY: ("Could teach it", "complete and confident; could teach it", "success"),
}


def category_name(category: str) -> str:
    return CATEGORY_NAMES.get(category, category)


def when(day: date, today: date) -> str:
    days = (day - today).days
    if days <= 0:
        relative = "today"
    elif days == 1:
        relative = "tomorrow"
    else:
        relative = f"in {days} days"
    return f"{day:%a %d %b %Y} ({relative})"


def question_reply(q: Question, version: int, *, status: str, answer_allowed: bool = True) -> Reply:
    fields = (
        Field("Category", category_name(q.category)),
        Field("Level", q.level.capitalize()),
        Field("Time box", f"{q.time_box_minutes} min"),
        Field("Topics", ", ".join(topic_name(t) for t in q.topics)),
    )
    actions = [Action("Reveal key points", ActionKey("reveal", q.id, version).encode(), "primary")]
    if answer_allowed:
        actions.append(Action("Write an answer", ActionKey("answer", q.id, version).encode()))
    return Reply(
        title=q.title,
        body=q.prompt,
        fields=fields,
        actions=tuple(actions),
        footer=f"{status} · {q.id}",
        kind="question",
    )


def _bullets(items: list[str] | tuple[str, ...], mark: str = "•") -> str:
    return "\n".join(f"{mark} {item}" for item in items)


def reveal_reply(q: Question, version: int) -> Reply:
    fields = [Field("Key points", _bullets(q.key_points, "☐"), inline=False)]
    if q.star is not None:
        star = q.star
        fields.append(
            Field(
                "STAR guidance",
                "\n".join(
                    f"**{name}:** {text}"
                    for name, text in (
                        ("Situation", star.situation),
                        ("Task", star.task),
                        ("Action", star.action),
                        ("Result", star.result),
                        ("Reflection", star.reflection),
                    )
                ),
                inline=False,
            )
        )
        fields.append(Field("Interviewers listen for", _bullets(q.listen_for or []), inline=False))
        fields.append(Field("Red flags", _bullets(q.red_flags or []), inline=False))
    else:
        fields.append(
            Field("Outline", "\n".join(f"{i}. {step}" for i, step in enumerate(q.outline or [], 1)), inline=False)
        )
    fields.append(Field("Follow-ups", _bullets([f"{f.question} _({f.probes})_" for f in q.follow_ups]), inline=False))
    fields.append(Field("Pitfalls", _bullets(q.pitfalls), inline=False))
    return Reply(
        title=f"Key points: {q.title}",
        body="How did your answer compare? Grade yourself honestly; the schedule adapts to it.",
        fields=tuple(fields),
        actions=grade_actions(q.id, version),
        footer=q.id,
        kind="reveal",
    )


def grade_actions(question_id: str, version: int) -> tuple[Action, ...]:
    return tuple(
        Action(label, ActionKey("grade", question_id, version, int(rating)).encode(), style, hint=meaning)
        for rating, (label, meaning, style) in RATING_LABELS.items()
    )


def graded_reply(q: Question | None, rating: Rating, due: date, today: date, *, category: str | None) -> Reply:
    label, meaning, _ = RATING_LABELS[rating]
    title = q.title if q else "Review recorded"
    return Reply(
        title=f"Recorded: {label}",
        body=f"{title}: {meaning}.\nThis question comes back on **{when(due, today)}**.",
        actions=(next_action(category),),
        kind="graded",
    )


def already_graded_reply(rating: Rating, due: date, today: date, category: str | None) -> Reply:
    label, _, _ = RATING_LABELS[rating]
    return Reply(
        title="Already recorded",
        body=f"You already graded this one **{label}**; nothing changed. It comes back on {when(due, today)}.",
        actions=(next_action(category),),
        kind="info",
    )


def next_action(category: str | None) -> Action:
    return Action("Next question", ActionKey("next", category or "", 0).encode(), "primary")


def nothing_due_reply(
    next_due: date | None,
    today: date,
    *,
    category: str | None,
    cap_reached: bool,
    reviews_only: bool,
    topic: str | None = None,
) -> Reply:
    scopes = [category_name(category)] if category else []
    scopes += [topic_name(topic)] if topic else []
    scope = f" in {' · '.join(scopes)}" if scopes else ""
    lines = [f"Nothing due{scope} right now."]
    if next_due is not None:
        lines.append(f"Your next review{scope} is on **{when(next_due, today)}**.")
    if cap_reached:
        lines.append("You have met today's new-question limit; new questions resume tomorrow.")
    elif reviews_only:
        lines.append("Ask for a question to start something new.")
    elif next_due is None:
        lines.append("You have seen every question here. Try another category or level.")
    return Reply(title="All caught up", body="\n".join(lines), kind="info")


def error_reply(exc: DomainError | InvalidBank | DatabaseUnavailable) -> Reply:
    if isinstance(exc, DatabaseUnavailable):
        body = "The bot cannot reach its database right now, so nothing was recorded. Please try again in a few minutes."
        return Reply(title="Not recorded", body=body, kind="error")
    if isinstance(exc, StaleAction):
        body = f"That button is out of date ({exc.reason}). Nothing was changed."
        return Reply(title="Nothing changed", body=body, kind="error")
    if isinstance(exc, UnknownQuestion):
        return Reply(title="Question not found", body=f"There is no question `{exc.question_id}` here.", kind="error")
    if isinstance(exc, NotAllowed):
        return Reply(title="Not allowed", body=exc.reason, kind="error")
    if isinstance(exc, InvalidInput):
        return Reply(title="Please check that", body=exc.message, kind="error")
    if isinstance(exc, InvalidBank):
        listed = "\n".join(f"• {e}" for e in exc.errors[:20])
        more = f"\n…and {len(exc.errors) - 20} more" if len(exc.errors) > 20 else ""
        return Reply(title=f"{len(exc.errors)} problem(s) in the questions", body=listed + more, kind="error")
    return Reply(title="Something went wrong", body="Nothing was changed. Please try again.", kind="error")
