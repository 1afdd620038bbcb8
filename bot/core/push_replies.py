"""Every user-visible string of subscriptions and daily pushes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.core.actions import ActionKey
from bot.core.catalog import is_imported
from bot.core.replies import Action, Field, Reply, category_name, plural
from question_bank.schema import Question

HOW_TO_CHANGE = "Subscribe again to change it · unsubscribe to stop · snooze to pause for a few days"


def local_moment(instant: datetime, zone: ZoneInfo, now: datetime) -> str:
    """'Tue 03 Mar at 08:30 (tomorrow)', in the zone's own wall time."""
    local = instant.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    relative = "today" if days <= 0 else "tomorrow" if days == 1 else f"in {days} days"
    return f"{local:%a %d %b} at {local:%H:%M} ({relative})"


def _categories(categories: list[str]) -> str:
    return ", ".join(category_name(c) for c in categories) if categories else "all categories"


def subscribed_reply(
    local_time: str, zone_name: str, categories: list[str], next_text: str, *, paused_until: date | None, updated: bool
) -> Reply:
    lines = [f"Every day at **{local_time}** ({zone_name}), from {_categories(categories)}."]
    if paused_until is not None:
        lines.append(f"Paused until {paused_until:%a %d %b} as you asked.")
    lines.append(f"Next one: **{next_text}**.")
    title = "Daily question updated" if updated else "Daily question on"
    return Reply(title=title, body="\n".join(lines), footer=HOW_TO_CHANGE, kind="info")


def unsubscribed_reply(was_subscribed: bool) -> Reply:
    if not was_subscribed:
        return Reply(title="Not subscribed", body="You had no daily question to stop.", kind="info")
    body = "No more daily questions. Your cards and schedule are kept; subscribe again any time."
    return Reply(title="Daily question stopped", body=body, kind="info")


def snoozed_reply(days: int, until: date | None, next_text: str) -> Reply:
    if until is None:
        return Reply(title="Daily question resumed", body=f"Next one: **{next_text}**.", kind="info")
    body = (
        f"No daily question for {plural(days, 'day')}, until {until:%a %d %b}. Your cards and schedule are untouched.\n"
        f"Next one: **{next_text}**."
    )
    return Reply(title="Daily question snoozed", body=body, footer="Snooze 0 days to resume now", kind="info")


def qotd_set_reply(local_time: str, zone_name: str, next_text: str, *, updated: bool) -> Reply:
    body = (
        f"A question of the day goes to that channel every day at **{local_time}** ({zone_name}).\n"
        f"First post: **{next_text}**. Whoever clicks it gets their own private reveal and grade."
    )
    title = "Question of the day updated" if updated else "Question of the day on"
    return Reply(title=title, body=body, kind="info")


def qotd_off_reply(stopped: int) -> Reply:
    if stopped == 0:
        return Reply(title="Nothing to turn off", body="No question of the day is set up here.", kind="info")
    return Reply(title="Question of the day off", body=f"Stopped in {plural(stopped, 'channel')}.", kind="info")


def with_notice(reply: Reply, notice: str) -> Reply:
    """A reply that also carries a notice the learner has not seen yet (shown above its text, to them alone)."""
    return replace(reply, notice=notice)


QOTD_INVITE = "_Talk through your approach in this message's thread; grade yourself privately with the button._"


def qotd_reply(q: Question) -> Reply:
    """A channel's question of the day: public, with one button that gives each clicker their own flow."""
    return Reply(
        title=f"Question of the day: {q.title}",
        body=f"{q.prompt}\n\n{QOTD_INVITE}",
        fields=(
            Field("Category", category_name(q.category)),
            Field("Level", q.level.capitalize()),
            Field("Time box", f"{q.time_box_minutes} min"),
        ),
        actions=(
            Action(
                "Practise it", ActionKey("open", q.id, 0).encode(), "primary",
                hint="Your own reveal and self-grade, private to you; it feeds your schedule",
            ),
        ),  # fmt: skip
        footer=f"Question of the day · {q.id}",
        private=False,
        kind="question",
        imported=is_imported(q.id),
    )


def push_stopped_notice(reason: str) -> str:
    """Told to a learner whose daily question could not be delivered and is now paused."""
    return f"Your daily question is paused: {reason}. Once that is fixed, subscribe again to resume it."
