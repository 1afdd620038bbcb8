"""What the learner reads about their study plan: goal, pace, readiness, the daily review limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.replies import Field, Reply, category_name

if TYPE_CHECKING:
    from bot.core.plan.rules import Goal, Limits, Readiness

GOAL_HELP = (
    "Set a goal with a date, e.g. **goal 2027-01-15 databases senior** (Discord: /goal date:2027-01-15): "
    "the questions of those categories up to that level, seen and learned by then. **goal off** clears it."
)


def _percent(level: float) -> str:
    return f"{level:.0%}"


def goal_scope(goal: Goal) -> str:
    categories = ", ".join(category_name(c) for c in goal.categories) if goal.categories else "every category"
    return f"{categories}, {'up to ' + goal.level if goal.level else 'every level'}"


def _pace(pace: float) -> str:
    return f"{pace:.0f}" if pace >= 1 else f"{pace:.1f}"


def projection(r: Readiness) -> str:
    """'At your pace of N a day you will have seen X of Y and mastered about Z by the date.'"""
    assert r.goal is not None and r.forecast is not None and r.forecast_seen is not None
    mastered = round(r.forecast * r.total)
    lines = [
        f"At your pace of {_pace(r.pace)} a day you will have seen **{r.forecast_seen} of {r.total}** and "
        f"mastered about **{mastered}** by {r.goal.day:%a %d %b %Y}."
    ]
    if r.needed_per_day:
        lines.append(
            f"To see them all, take **{r.needed_per_day} new a day**; the last {r.consolidation_days} day(s) are "
            "kept for reviews."
        )
    else:
        lines.append("You have seen every question of your goal: reviews keep them fresh until the date.")
    return "\n".join(lines)


def goal_reply(r: Readiness) -> Reply:
    assert r.goal is not None
    body = (
        f"**{r.total} questions** ({goal_scope(r.goal)}) by **{r.goal.day:%a %d %b %Y}**. "
        f"You have seen {r.seen} of them.\n" + projection(r)
    )
    return Reply(title="Your goal", body=body, fields=readiness_fields(r), kind="info")


def goal_cleared_reply() -> Reply:
    return Reply(
        title="Goal cleared",
        body="No goal now: new questions come from every category, balanced with your reviews.",
        kind="info",
    )


def no_goal_reply() -> Reply:
    return Reply(title="No goal yet", body=GOAL_HELP, kind="info")


def pace_reply(limits: Limits, defaults: Limits) -> Reply:
    def own(value: int, default: int) -> str:
        return "" if value == default else f" (default {default})"

    body = (
        f"New questions: at most **{limits.new_per_day} a day**{own(limits.new_per_day, defaults.new_per_day)}.\n"
        f"Reviews: at most **{limits.max_reviews_per_day} a day**"
        f"{own(limits.max_reviews_per_day, defaults.max_reviews_per_day)}.\n"
        "Reviews come highest predicted recall first (the ones you still know, before they slip), "
        "and new questions keep coming even when reviews pile up."
    )
    if not limits.own_new:
        body += " A goal raises the new questions a day to what it needs."
    return Reply(title="Your pace", body=body, kind="info")


def review_limit_reply(limit: int) -> Reply:
    return Reply(
        title="Today's reviews are done",
        body=(
            f"You reached your limit of {limit} reviews today; the rest wait for tomorrow. "
            "Change it with **pace reviews N**."
        ),
        kind="info",
    )


def readiness_fields(r: Readiness) -> tuple[Field, ...]:
    scope = "your goal" if r.goal is not None else "the whole bank"
    line = f"**{_percent(r.today)}** of {scope} ({r.seen} of {r.total} questions seen)"
    if r.forecast is not None and r.goal is not None:
        line += f"\nForecast on {r.goal.day:%d %b}: **{_percent(r.forecast)}** at your pace"
    per_category = "\n".join(f"• {category_name(c)}: {_percent(level)} of {n}" for c, level, n in r.categories)
    return (
        Field("Interview readiness", line, inline=False),
        Field("Readiness by category", per_category or "no questions", inline=False),
    )


def readiness_footer() -> str:
    return "Readiness: the expected share you would answer well today; an unseen question counts 0"
