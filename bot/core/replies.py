"""The neutral reply model the use cases return, and every user-visible string of the core.

Adapters render a Reply: Discord as an embed with buttons, Slack as Block Kit, the console as text.
Text here is plain with light markdown (**bold**, bullet lines) that all three can show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.core.actions import UNDO_MINUTES, ActionKey
from bot.core.catalog import is_imported
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
    title: str = ""  # what it is, in a sentence: "Saved your chart to ..."


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
    # Holds text a server's admins wrote (an imported question): adapters show it as text, so no
    # masked link or autolink in it becomes clickable. Shipped content keeps its formatting.
    imported: bool = False


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


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 day', '3 days'; `words` for an irregular plural."""
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


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


def interval_text(days: int) -> str:
    """A review interval as a grade button shows it: 4d, 3mo, 1.5y."""
    if days < 100:
        return f"{days}d"
    if days < 365:
        return f"{round(days / 30.4)}mo"
    return f"{days / 365:.1f}y"


def review_status(overdue_days: int, *, skipped: bool) -> str:
    status = "Review · " + (f"{plural(overdue_days, 'day')} overdue" if overdue_days > 0 else "due today")
    return status + (" · skipped earlier today, nothing else is left" if skipped else "")


def new_status(number: int, cap: int, *, seen_before: bool, skipped: bool) -> str:
    status = f"New question ({number} of {cap} today)"
    if skipped:
        return status + " · skipped earlier today, nothing else is left"
    return status + (" · seen before, not graded yet" if seen_before else "")


def skip_action(question_id: str, version: int) -> Action:
    return Action("Skip", ActionKey("skip", question_id, version).encode())


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
    actions.append(skip_action(q.id, version))
    return Reply(
        title=q.title,
        body=q.prompt,
        fields=fields,
        actions=tuple(actions),
        footer=f"{status} · {q.id}",
        kind="question",
        imported=is_imported(q.id),
    )


def _bullets(items: list[str] | tuple[str, ...], mark: str = "•") -> str:
    return "\n".join(f"{mark} {item}" for item in items)


def reveal_reply(q: Question, version: int, intervals: Mapping[Rating, int] | None = None, today: date | None = None) -> Reply:
    """The key points to compare with, then the grade buttons; `intervals` (from Scheduler.preview,
    on the study day `today`) puts on each button the interval that grade gives."""
    fields = [Field("Key points", _bullets(q.key_point_texts, "☐"), inline=False)]
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
        actions=(*grade_actions(q.id, version, intervals, today), skip_action(q.id, version)),
        footer=q.id,
        kind="reveal",
        imported=is_imported(q.id),
    )


def draft_saved_reply(kept: int, written: int) -> Reply:
    body = f"Your answer so far ({plural(kept, 'character')}) is kept with this question for when you grade it."
    if kept < written:
        body += f" It had {written:,} characters; the first {kept:,} were kept (the limit)."
    return Reply(title="Draft saved", body=body, kind="info")


def grade_actions(
    question_id: str, version: int, intervals: Mapping[Rating, int] | None = None, today: date | None = None
) -> tuple[Action, ...]:
    """The four grades, in order; with `intervals`, each says where it leads ("Solid · 4d")."""
    actions = []
    for rating, (label, meaning, style) in RATING_LABELS.items():
        key = ActionKey("grade", question_id, version, int(rating)).encode()
        if intervals is not None and today is not None:
            days = intervals[rating]
            back = when(today + timedelta(days=days), today)
            actions.append(Action(f"{label} · {interval_text(days)}", key, style, hint=f"{meaning}; back on {back}"))
        else:
            actions.append(Action(label, key, style, hint=meaning))
    return tuple(actions)


def graded_reply(
    q: Question | None, rating: Rating, due: date, today: date, *, category: str | None, undo: str | None = None
) -> Reply:
    """`undo`: the key that takes this grade back (offered for UNDO_MINUTES)."""
    label, meaning, _ = RATING_LABELS[rating]
    title = q.title if q else "Review recorded"
    return Reply(
        title=f"Recorded: {label}",
        body=f"{title}: {meaning}.\nThis question comes back on **{when(due, today)}**.",
        actions=_after_grade(category, undo),
        kind="graded",
        imported=q is not None and is_imported(q.id),
    )


def _after_grade(category: str | None, undo: str | None) -> tuple[Action, ...]:
    if undo is None:
        return (next_action(category),)
    return next_action(category), Action("Undo", undo, hint=f"take this grade back (within {UNDO_MINUTES} minutes)")


def skipped_reply(q: Question | None, category: str | None) -> Reply:
    title = f"**{q.title}**" if q else "This question"
    return Reply(
        title="Skipped",
        body=f"{title} is set aside for today and used none of today's new-question slots. "
        "It comes back later (today only if nothing else is left).",
        actions=(next_action(category),),
        kind="info",
    )


def undone_reply(revealed: Reply | None, rating: Rating) -> Reply:
    """The grade is gone and the card is as it was: the key points and grade buttons again."""
    label = RATING_LABELS[rating][0]
    body = f"Your **{label}** grade is taken back and the question's schedule is as it was before."
    if revealed is None:  # the question is no longer in the bank
        return Reply(title="Grade undone", body=body, kind="info")
    return replace(revealed, title=f"Grade undone: {revealed.title}", body=f"{body} Grade it again:")


# Why an undo changed nothing.
UNDO_TOO_LATE = f"A grade can be undone for {UNDO_MINUTES} minutes; this one is older."
UNDO_ALREADY = "That grade was already undone."
UNDO_GRADED_SINCE = "You have graded since; only your last grade can be undone."
UNDO_UNAVAILABLE = "That grade was recorded before grades could be undone."


def undo_refused_reply(reason: str) -> Reply:
    return Reply(title="Nothing to undo", body=f"{reason} Nothing was changed.", kind="info")


def already_graded_reply(
    rating: Rating, due: date, today: date, category: str | None, *, undo: str | None = None
) -> Reply:
    """A repeated grade click; `undo` as in graded_reply (a double click must not lose the Undo button)."""
    label, _, _ = RATING_LABELS[rating]
    return Reply(
        title="Already recorded",
        body=f"You already graded this one **{label}**; nothing changed. It comes back on {when(due, today)}.",
        actions=_after_grade(category, undo),
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
    ungraded: int = 0,
) -> Reply:
    """`ungraded`: questions seen and not graded yet (new questions, not reviews)."""
    scopes = [category_name(category)] if category else []
    scopes += [topic_name(topic)] if topic else []
    scope = f" in {' · '.join(scopes)}" if scopes else ""
    lines = [f"Nothing due{scope} right now."]
    if next_due is not None:
        lines.append(f"Your next review{scope} is on **{when(next_due, today)}**.")
    if reviews_only and ungraded:
        lines.append(f"{plural(ungraded, 'question')} you saw {'is' if ungraded == 1 else 'are'} not graded yet: "
                     "ask for a question to see it again.")  # fmt: skip
    if cap_reached:
        lines.append("You have met today's new-question limit; new questions resume tomorrow.")
    elif reviews_only:
        lines.append("Ask for a question to start something new.")
    elif next_due is None:
        lines.append("You have seen every question here. Try another category or level.")
    return Reply(title="All caught up", body="\n".join(lines), kind="info")


def upload_note(filenames: list[str], limit: int) -> str:
    """Said with a file that had to be compressed (and perhaps split) to fit a platform's upload limit."""
    size = f"{limit / (1024 * 1024):.0f} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
    if len(filenames) == 1:
        return f"Compressed to fit the {size} upload limit: `{filenames[0]}` opens with any unzip tool."
    whole = filenames[0].rsplit(".part", 1)[0]
    return (
        f"Too large for one {size} upload, so it comes compressed in {len(filenames)} parts (this message and "
        f"the next ones). Join them in order (`cat {whole}.part* > {whole}`), then unzip `{whole}`."
    )


def error_reply(exc: DomainError | InvalidBank | DatabaseUnavailable) -> Reply:
    if isinstance(exc, DatabaseUnavailable):
        body = "The bot cannot reach its database right now, so nothing was recorded. Please try again in a few minutes."
        return Reply(title="Not recorded", body=body, kind="error")
    if isinstance(exc, StaleAction):
        body = f"That choice is out of date ({exc.reason}). Nothing was changed."
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
        return Reply(title=f"{plural(len(exc.errors), 'problem')} in the questions", body=listed + more, kind="error")
    return Reply(title="Something went wrong", body="Nothing was changed. Please try again.", kind="error")
