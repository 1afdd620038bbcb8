"""The study plan's rules on a real database (SQLite file and PostgreSQL): daily limits, highest
predicted recall first, breadth under a backlog, a goal's pace, readiness."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.core.practice import LearnerRef
from question_bank.loader import Bank
from tests.buttons import key, qid
from tests.conftest import make_app
from tests.factories import question

ANA = LearnerRef("console", "ana")
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4


async def review(app, question_id: str, rating: int, who: LearnerRef = ANA) -> None:
    shown = await app.practice.show(who, question_id)
    revealed = await app.practice.reveal(who, key(shown, "reveal"))
    graded = await app.practice.grade(who, key(revealed, "grade", rating))
    assert graded.kind == "graded", graded


async def grade_served(app, reply, rating: int = GOOD, who: LearnerRef = ANA) -> str:
    revealed = await app.practice.reveal(who, key(reply, "reveal"))
    await app.practice.grade(who, key(revealed, "grade", rating))
    return qid(reply)


def bank_of(n: int) -> Bank:
    """n databases questions (mid) and n system design ones (senior)."""
    db = [question(f"db-{i}") for i in range(n)]
    sd = [question(f"sd-{i}", category="system_design", level="senior", topics=("caching",)) for i in range(n)]
    return Bank(tuple(db + sd))


async def test_reviews_come_highest_predicted_recall_first_not_earliest_due(app, clock):
    await review(app, "db-a", EASY)  # day 0: stability 8.3 days, due day 8
    await review(app, "db-b", AGAIN)  # day 0: stability 0.21 days, due day 1
    clock.advance(days=10)  # day 10: db-a 2 days overdue, still mostly remembered; db-b 9 days overdue, mostly lost
    first = await app.practice.next_question(ANA, reviews_only=True)
    assert qid(first) == "db-a"  # its review keeps what is still there
    await grade_served(app, first)
    assert qid(await app.practice.next_question(ANA, reviews_only=True)) == "db-b"


async def test_the_daily_review_limit_holds_and_new_questions_still_come(engine, clock):
    app = make_app(engine, bank_of(6), clock)
    for i in range(4):
        await review(app, f"db-{i}", AGAIN)
    await app.plan.set_pace(ANA, max_reviews=2)
    clock.advance(days=10)  # four reviews due, nothing introduced lately
    kinds = []
    for _ in range(6):
        reply = await app.practice.next_question(ANA)
        if reply.kind != "question":
            break
        kinds.append("new" if reply.footer.startswith("New") else "review")
        await grade_served(app, reply)
    assert kinds.count("review") == 2
    assert kinds == ["new", "new", "new", "review", "review", "new"]  # reviews stop at 2; new ones go on
    limited = await app.practice.next_question(ANA, reviews_only=True)
    assert limited.title == "Today's reviews are done" and "limit of 2 reviews" in limited.body


async def test_a_backlog_never_stops_new_questions(engine, clock):
    app = make_app(engine, bank_of(8), clock)
    for i in range(8):
        await review(app, f"db-{i}", GOOD)
    clock.advance(days=20)  # after a break: all eight are due
    kinds = []
    for _ in range(5):
        reply = await app.practice.next_question(ANA)
        kinds.append("new" if reply.footer.startswith("New") else "review")
        await grade_served(app, reply)
    # Reviews-first would serve five reviews; the plan brings 3 new questions a week even so.
    assert kinds == ["new", "new", "new", "review", "review"]


async def test_a_learners_own_new_question_limit(engine, clock):
    app = make_app(engine, bank_of(4), clock)
    reply = await app.plan.set_pace(ANA, new_per_day=1)
    assert "at most **1 a day** (default 5)" in reply.body
    await grade_served(app, await app.practice.next_question(ANA))
    capped = await app.practice.next_question(ANA)
    assert capped.kind == "info" and "new-question limit" in capped.body
    with pytest.raises(InvalidInput, match="from 0 to 100"):
        await app.plan.set_pace(ANA, new_per_day=101)


async def test_a_goal_serves_its_target_first_at_the_pace_it_needs(engine, clock):
    app = make_app(engine, bank_of(12), clock)
    # 12 databases questions (mid) by Monday next week: 8 days with today and the goal day, the last
    # one kept for reviews -> 12 over 7 days = 2 a day (under the default limit of 5, which stays).
    reply = await app.plan.set_goal(ANA, "2026-03-09", ["databases"], "mid")
    assert reply.title == "Your goal"
    assert "**12 questions** (Databases, up to mid) by **Mon 09 Mar 2026**" in reply.body
    assert "take **2 new a day**; the last 1 day(s) are kept for reviews" in reply.body
    served = [await grade_served(app, await app.practice.next_question(ANA)) for _ in range(5)]
    assert all(s.startswith("db-") for s in served)  # the spread across categories waits for the goal
    ready = await app.progress.stats(ANA)
    fields = {f.name: f.value for f in ready.fields}
    assert fields["Interview readiness"].startswith("**")
    assert "of your goal (5 of 12 questions seen)" in fields["Interview readiness"]
    assert "Forecast on 09 Mar" in fields["Interview readiness"]


async def test_a_goal_raises_the_default_new_limit_to_its_pace(engine, clock):
    app = make_app(engine, bank_of(30), clock, cap=2)
    await app.plan.set_goal(ANA, "2026-03-06", ["databases"])  # 30 in 5 days (4 for new): 8 a day
    served = [await grade_served(app, await app.practice.next_question(ANA)) for _ in range(8)]
    assert len(set(served)) == 8  # a slot is used by a first grade: eight graded, eight slots
    over = await app.practice.next_question(ANA)
    assert over.kind != "question"  # the ninth would pass the goal's pace of 8 a day


async def test_goal_input_is_checked_and_off_clears_it(app, clock):
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        await app.plan.set_goal(ANA, "next friday")
    with pytest.raises(InvalidInput, match="after today"):
        await app.plan.set_goal(ANA, "2026-03-01")
    with pytest.raises(InvalidInput, match="Unknown category"):
        await app.plan.set_goal(ANA, "2026-04-01", ["cooking"])
    with pytest.raises(InvalidInput, match="No question here matches"):
        await app.plan.set_goal(ANA, "2026-04-01", ["behavioral"], "junior")
    await app.plan.set_goal(ANA, "2026-04-01", ["behavioral"], "mid")
    assert (await app.plan.set_goal(ANA, "off")).title == "Goal cleared"
    assert (await app.plan.goal(ANA)).title == "No goal yet"


async def test_readiness_counts_unseen_questions_as_zero(app, clock):
    await review(app, "db-a", GOOD)  # recall 1.0 today
    stats = await app.progress.stats(ANA)
    fields = {f.name: f.value for f in stats.fields}
    # small_bank: 8 questions, 4 databases: 1 / 8 = 12%, databases 1 / 4 = 25%.
    assert fields["Interview readiness"] == "**12%** of the whole bank (1 of 8 questions seen)"
    assert "• Databases: 25% of 4" in fields["Readiness by category"]


async def test_the_goal_and_pace_are_in_the_learners_export(app):
    import json

    await app.plan.set_goal(ANA, "2026-04-01", ["databases"], "mid")
    await app.plan.set_pace(ANA, new_per_day=2, max_reviews=20)
    exported = await app.accounts.export(ANA)
    [plan] = json.loads(exported.files[0].data)["study_plan"]
    assert (plan["goal_date"], plan["goal_categories"], plan["goal_level"]) == ("2026-04-01", ["databases"], "mid")
    assert (plan["new_per_day"], plan["max_reviews_per_day"], plan["fsrs_version"]) == (2, 20, 0)


async def test_the_chart_shows_readiness_and_its_forecast(app, clock):
    await app.plan.set_goal(ANA, "2026-04-01", ["databases"])
    await review(app, "db-a", GOOD)
    chart = await app.progress.chart(ANA)
    # 4 databases questions, one recalled today at 1.0: 25%; at this pace (1 a day) all 4 are seen by
    # 1 Apr and sit near the desired retention: 4 x 0.9 / 4 = 90%.
    assert "Interview readiness today: **25%**, forecast at your goal date: **90%**." in chart.body
    assert chart.files[0].data.startswith(b"\x89PNG")


async def test_the_last_days_before_a_goal_consolidate_its_questions(app, clock):
    # small_bank's databases questions up to mid: db-a, db-b, db-c. 21 days: the last one is for reviews.
    await app.plan.set_goal(ANA, "2026-03-22", ["databases"], "mid")
    for question_id in ("db-a", "db-b", "db-c"):
        await review(app, question_id, GOOD)
    clock.advance(days=16)  # 18 Mar: all three due again
    for question_id in ("db-a", "db-b", "db-c"):
        await review(app, question_id, GOOD)  # next due in a week or more
    clock.advance(days=4)  # 22 Mar: consolidation, nothing due, other categories unseen
    reply = await app.practice.next_question(ANA)
    assert qid(reply).startswith("db-") and "before your goal date" in reply.footer


async def test_new_questions_are_spread_not_bunched_under_a_backlog(engine, clock):
    app = make_app(engine, bank_of(8), clock)
    for i in range(8):
        await review(app, f"db-{i}", GOOD)  # eight new this week already: the weekly floor is met
    clock.advance(days=4)  # all eight due, but no new question in the last 3 days
    first, second = await app.practice.next_question(ANA), None
    assert first.footer.startswith("New question")
    await grade_served(app, first)
    second = await app.practice.next_question(ANA)
    assert second.footer.startswith("Review")


def test_a_goals_new_questions_are_spread_evenly_to_its_last_days():
    from datetime import date, timedelta

    from bot.core.plan.rules import Goal, goal_days, share_today

    start = date(2026, 3, 1)
    goal = Goal(start + timedelta(days=30), set_on=start)  # 2 days of consolidation at the end
    unseen, per_day = 75, []
    for day in range(goal_days(goal, start)[1]):
        share = share_today(unseen, goal, start + timedelta(days=day))
        per_day.append(share)
        unseen -= share
    assert unseen == 0 and sum(per_day) == 75  # every one before consolidation begins
    assert set(per_day) == {2, 3} and per_day[-5:].count(3) >= 2  # not 3 a day first, then 2
