"""What the learner reads about their progress: stats, the chart message and leaderboards."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.core.actions import ActionKey
from bot.core.feedback.replies import CALIBRATION_DAYS, CALIBRATION_FIELD, calibration_line
from bot.core.plan import replies as plan_replies
from bot.core.replies import Action, Field, File, Reply, category_name, plural, when
from question_bank.loader import topic_name

if TYPE_CHECKING:
    from bot.core.charts import ChartData
    from bot.core.progress import LeaderEntry, Mastery, StatsSnapshot, Streak

LEADERBOARD_SIZE = 10
TOPICS_LISTED = 10
WEAKEST_TOPICS = 3  # each gets a button to practise it
NAME_LENGTH = 32
# Characters some surface reads as formatting or a mention (Discord and Slack markdown, the console).
_MARKUP = re.compile(r"[*_~`|<>@#\\\[\]]")


def neutral_name(name: str) -> str:
    """A display name that formats, mentions and breaks lines nowhere: control and markup
    characters become spaces, runs of space collapse, long names are cut."""
    printable = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in name)
    cleaned = " ".join(_MARKUP.sub(" ", printable).split())
    return cleaned[:NAME_LENGTH].rstrip() or "a learner"


def _percent(level: float) -> str:
    return f"{level:.0%}"


def streak_text(streak: Streak) -> str:
    if streak.days == 0:
        return "**Streak:** 0 days. Review a question today to start one."
    line = f"**Streak:** {plural(streak.days, 'day')}"
    line += " · practised today" if streak.practised_today else " · review today to keep it going"
    if streak.frozen:
        covered = ", ".join(f"{day:%a %d %b}" for day in reversed(streak.frozen))
        line += f"\nA streak freeze covered {covered} (one missed day a week is forgiven)."
    return line


def _mastery_text(m: Mastery) -> str:
    return _percent(m.level) if m.level is not None else "too early to tell"


def _mastery_line(label: str, m: Mastery | None) -> str:
    if m is None:
        return f"• {label}: not started"
    return f"• {label}: {_mastery_text(m)} ({plural(m.questions, 'question')}, {m.solid} of {plural(m.grades, 'grade')} solid)"


def stats_reply(s: StatsSnapshot) -> Reply:
    retention = (
        f"{_percent(s.retention)} of {plural(s.recall_reviews, 'repeat review')}"
        if s.retention is not None
        else "not yet (needs repeat reviews)"
    )
    fields = [
        Field("Due today", str(s.due_today)),
        Field("Seen, not graded", str(s.ungraded)),
        Field("Next 7 days", str(s.due_next_week)),
        Field("Reviews", f"{s.reviews_total} ({s.reviews_today} today)"),
        Field("Retention", retention),
        Field("New today", f"{s.new_today} of {s.new_cap}"),
        Field("Last 7 days", " · ".join(f"{day:%a} {n}" for day, n in s.recent), inline=False),
        Field(
            "Mastery by category",
            "\n".join(_mastery_line(category_name(c), m) for c, m in s.categories),
            inline=False,
        ),
    ]
    if s.readiness is not None:
        fields.extend(plan_replies.readiness_fields(s.readiness))
    if s.topics:
        listed = [_mastery_line(topic_name(m.name), m) for m in s.topics[:TOPICS_LISTED]]
        if len(s.topics) > TOPICS_LISTED:
            listed.append(f"…and {len(s.topics) - TOPICS_LISTED} more")
        fields.append(Field("Mastery by topic (weakest first)", "\n".join(listed), inline=False))
    if s.calibration is not None and s.calibration.total:  # only once there is something to compare
        c = s.calibration
        line = calibration_line(c.total, c.matched, c.above, c.total - c.matched - c.above, CALIBRATION_DAYS)
        fields.append(Field(CALIBRATION_FIELD, line, inline=False))
    weakest = s.topics[:WEAKEST_TOPICS]
    actions = tuple(
        Action(
            f"Practise {topic_name(m.name)}",
            ActionKey("topic", m.name, 0).encode(),
            hint=f"Mastery {_mastery_text(m)}, {m.solid} of {plural(m.grades, 'grade')} solid: practise this topic",
        )
        for m in weakest
    )
    lines = [streak_text(s.streak)]
    lines.append(f"Next review: {when(s.next_due, s.today)}" if s.next_due else "No reviews scheduled yet.")
    if weakest:
        lines.append("Your weakest topics are below: choose one to practise it.")
    return Reply(
        title="Your progress",
        body="\n".join(lines),
        fields=tuple(fields),
        actions=actions,
        footer="Mastery: the chance you would recall a question today (FSRS), averaged over questions "
        "reviewed at least twice; weakest: fewest solid grades · " + plan_replies.readiness_footer(),
        kind="info",
    )


def chart_description() -> str:
    return "Reviews per day over the last 12 weeks, questions due over the next 30 days, and readiness per category"


def chart_reply(data: ChartData, png: File) -> Reply:
    reviews, days = data.heatmap_total()
    body = (
        f"Last {data.weeks} weeks: **{reviews}** reviews on **{days}** days.\n"
        f"Next {len(data.forecast)} days: **{sum(data.forecast)}** questions due."
    )
    if data.readiness_total is not None:
        body += f"\nInterview readiness today: **{_percent(data.readiness_total)}**"
        if data.readiness_forecast is not None:
            body += f", forecast at your goal date: **{_percent(data.readiness_forecast)}**"
        body += "."
    return Reply(title="Your progress chart", body=body, files=(png,), kind="info")


def leaderboard_reply(period: str, entries: Sequence[LeaderEntry], *, learners: int, opted_out: bool) -> Reply:
    scope = "last 7 days" if period == "week" else "all time"
    if not entries:
        body = "Nobody here has reviewed a question in this period yet. Be the first!"
    else:
        lines = []
        for position, e in enumerate(entries):
            if position == LEADERBOARD_SIZE:
                lines.append("…")
            you = " ← you" if e.is_you else ""
            lines.append(
                f"**{e.rank}.** {neutral_name(e.name)} · {plural(e.days, 'day')} · {plural(e.reviews, 'review')}{you}"
            )
        body = "\n".join(lines)
    footer = "Ranked by days practised, then reviews done"
    if opted_out:
        footer += " · you are hidden from leaderboards"
    elif learners:
        footer += f" · {plural(learners, 'learner')}"
    return Reply(title=f"Leaderboard · {scope}", body=body, footer=footer, kind="info")


def opt_out_reply(opted_out: bool) -> Reply:
    if opted_out:
        return Reply(
            title="Hidden from leaderboards",
            body="You no longer appear on any leaderboard. Your own stats still count everything.",
            kind="info",
        )
    return Reply(title="Back on the leaderboards", body="You appear on leaderboards again.", kind="info")
