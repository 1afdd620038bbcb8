"""Stats, chart and leaderboards on a real database, checked against hand-computed numbers."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from matplotlib.image import imread

from bot.core.charts import HEIGHT_PX, WIDTH_PX
from bot.core.errors import InvalidInput
from bot.core.practice import LearnerRef
from tests.buttons import key
from tests.conftest import make_app
from tests.factories import small_bank

BERLIN = ZoneInfo("Europe/Berlin")  # CET -> CEST on Sun 2026-03-29 at 02:00 local
ANA = LearnerRef("discord", "100", "", "Ana")


def berlin(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


async def review(app, who, question_id: str, rating: int, tenant: str | None = None) -> None:
    shown = await app.practice.show(who, question_id, tenant=tenant)
    revealed = await app.practice.reveal(who, key(shown, "reveal"), tenant=tenant)
    graded = await app.practice.grade(who, key(revealed, "grade", rating), tenant=tenant)
    assert graded.kind == "graded", graded


# The fixed history, in the learner's wall-clock time (Europe/Berlin, rollover 04:00).
# Cards: A db-a (databases; indexing), B db-b (databases; indexing), C db-c (databases; transactions),
# S sd-a (system design; caching), E be-a (backend; http). Ratings 1 Again, 2 Hard, 3 Good, 4 Easy.
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
HISTORY = [
    # local time       card     rating    study day  card version graded
    ("2026-03-18 09:00", "db-a", GOOD),  # Wed 18      A v0
    ("2026-03-20 21:00", "sd-a", EASY),  # Fri 20      S v0 (never again: overdue since 28 Mar)
    ("2026-03-20 21:10", "db-c", GOOD),  # Fri 20      C v0
    ("2026-03-23 19:00", "db-a", GOOD),  # Mon 23      A v1
    # Tue 24 missed: not forgiven, the freeze of Sat 28 is within 7 days, so the streak starts on Wed 25
    ("2026-03-25 08:00", "db-c", GOOD),  # Wed 25      C v1
    ("2026-03-26 08:00", "db-a", AGAIN),  # Thu 26     A v2
    ("2026-03-27 23:30", "db-c", HARD),  # Fri 27      C v2
    ("2026-03-28 03:30", "db-a", GOOD),  # Fri 27 (03:30 CET is before the rollover)  A v3
    # Sat 28 missed (forgiven): 24 hours after the last review, 02:30 UTC is already 04:30 CEST on Sun 29
    ("2026-03-29 04:30", "db-c", GOOD),  # Sun 29      C v3
    ("2026-03-30 09:00", "db-a", GOOD),  # Mon 30      A v4
    ("2026-03-31 09:00", "db-c", GOOD),  # Tue 31      C v4
    ("2026-04-01 09:00", "db-a", EASY),  # Wed 1       A v5
    ("2026-04-02 09:00", "db-c", GOOD),  # Thu 2       C v5
    ("2026-04-03 09:00", "db-a", GOOD),  # Fri 3       A v6
    # Sat 4 missed (forgiven: the previous freeze, Sat 28, is 7 days earlier)
    ("2026-04-05 09:00", "be-a", AGAIN),  # Sun 5      E v0
    ("2026-04-05 09:05", "db-c", AGAIN),  # Sun 5      C v6
    ("2026-04-06 09:00", "db-b", GOOD),  # Mon 6       B v0
    ("2026-04-07 09:00", "db-a", HARD),  # Tue 7       A v7
    ("2026-04-08 09:00", "db-a", AGAIN),  # Wed 8      A v8
    ("2026-04-08 09:10", "db-c", AGAIN),  # Wed 8      C v7
]
TODAY_NOON = "2026-04-08 12:00"  # Wed 8 April; bh-a is shown (not graded) just before the stats

# Hand-computed from HISTORY:
# - Due: a new card graded once gets the FSRS-6 default initial stability w0..w3 = 0.212, 1.2931,
#   2.3065, 8.2956 days, and at 90% desired retention the interval is the stability, rounded, at
#   least 1 day: B (Good, 6 Apr) due 8 Apr, S (Easy, 20 Mar) due 28 Mar, E (Again, 5 Apr) due 6 Apr.
#   A and C were just graded Again: a lapse gives them under 1.5 days of stability, so due 9 Apr.
#   bh-a, shown today and not graded, has no schedule: it is not due but "seen, not graded".
#   Due today: B, S, E = 3; seen, not graded: bh-a = 1; next 7 days: A, C = 2.
# - New today: no new question was graded for the first time today (showing bh-a uses no slot): 0.
# - Reviews: 20, of which 2 today. Last 7 days Thu 2 .. Wed 8 Apr: 1, 1, 0, 2, 1, 1, 2.
# - Retention: reviews past a card's first review: A v1..v8 (G, Again, G, G, Easy, G, Hard, Again)
#   and C v1..v7 (G, Hard, G, G, G, Again, Again): 9 Good or Easy of 15 = 60%.
# - Streak: practised Wed 25 Mar .. Wed 8 Apr except the two forgiven Saturdays: 13 days.
# - Mastery = retrievability today, R(t, S), over questions reviewed at least twice: only A and C
#   (B, S and E were graded once: too early to tell). Both were reviewed today (t = 0): 1.0.
#   Databases (A, C) 100%; indexing (A) 100%; transactions (C) 100%.
# - Grades, solid ones (Good or Easy) among them: A 9 (6), B 1 (1), C 8 (5), S 1 (1), E 1 (0).
#   Databases 18 (12); indexing (A, B) 10 (7); transactions 8 (5); caching 1 (1); http 1 (0).
# - Weakest topics by (solid + 1) / (grades + 2): http 1/3, transactions 6/10, then indexing 8/12
#   and caching 2/3, equal: more grades first, so indexing before caching.
# - Readiness over the whole bank (8 questions; unseen, and shown but never graded, count 0):
#   system design (S 0.8340, sd-b 0) = 42%; databases (A 1, B 0.9095, C 1, db-d 0) = 73%;
#   behavioral (bh-a shown, not graded) 0%; backend (E) 66%; all: 4.4030 / 8 = 55%, 6 of 8 seen.
EXPECTED_FIELDS = {
    "Due today": "3",
    "Seen, not graded": "1",
    "Next 7 days": "2",
    "Reviews": "20 (2 today)",
    "Retention": "60% of 15 repeat reviews",
    "New today": "0 of 5",
    "Last 7 days": "Thu 1 · Fri 1 · Sat 0 · Sun 2 · Mon 1 · Tue 1 · Wed 2",
    "Mastery by category": (
        "• System design: too early to tell (1 question, 1 of 1 grade solid)\n"
        "• Databases: 100% (3 questions, 12 of 18 grades solid)\n"
        "• Behavioral: not started\n"
        "• Backend fundamentals: too early to tell (1 question, 0 of 1 grade solid)"
    ),
    "Mastery by topic (weakest first)": (
        "• HTTP: too early to tell (1 question, 0 of 1 grade solid)\n"
        "• Transactions: 100% (1 question, 5 of 8 grades solid)\n"
        "• Indexes: 100% (2 questions, 7 of 10 grades solid)\n"
        "• Caching: too early to tell (1 question, 1 of 1 grade solid)"
    ),
    "Interview readiness": "**55%** of the whole bank (6 of 8 questions seen)",
    "Readiness by category": (
        "• System design: 42% of 2\n• Databases: 73% of 4\n• Behavioral: 0% of 1\n• Backend fundamentals: 66% of 1"
    ),
}
EXPECTED_BODY = (
    "**Streak:** 13 days · practised today\n"
    "A streak freeze covered Sat 28 Mar, Sat 04 Apr (one missed day a week is forgiven).\n"
    "Next review: Thu 09 Apr 2026 (tomorrow)\n"
    "Your weakest topics are below: choose one to practise it."
)


@pytest.fixture
async def history_app(engine, clock):
    app = make_app(engine, small_bank(), clock)
    await app.practice.set_timezone(ANA, "Europe/Berlin")
    for local, question_id, rating in HISTORY:
        clock.set(berlin(local))
        await review(app, ANA, question_id, rating)
    clock.set(berlin(TODAY_NOON))
    await app.practice.show(ANA, "bh-a")
    return app


async def test_stats_match_the_hand_computed_table(history_app):
    reply = await history_app.progress.stats(ANA)
    fields = {f.name: f.value for f in reply.fields}
    assert fields == EXPECTED_FIELDS
    assert reply.body == EXPECTED_BODY
    assert [(a.label, a.key) for a in reply.actions] == [
        ("Practise HTTP", "topic:http:0"),
        ("Practise Transactions", "topic:transactions:0"),
        ("Practise Indexes", "topic:indexing:0"),
    ]


async def test_the_day_after_without_practice_the_streak_waits_for_today(history_app, clock):
    clock.set(berlin("2026-04-09 20:00"))
    body = (await history_app.progress.stats(ANA)).body
    assert body.startswith("**Streak:** 13 days · review today to keep it going")
    clock.set(berlin("2026-04-11 04:00"))  # Thu 9 and Fri 10 both missed: the run is over
    assert (await history_app.progress.stats(ANA)).body.startswith("**Streak:** 0 days.")


async def test_chart_is_a_png_of_the_right_size_with_the_right_totals(history_app):
    reply = await history_app.progress.chart(ANA)
    assert reply.body == (
        "Last 12 weeks: **20** reviews on **16** days.\nNext 30 days: **5** questions due.\n"
        "Interview readiness today: **55%**."  # as in the stats (no goal: the whole bank)
    )
    (png,) = reply.files
    assert png.filename == "progress.png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = imread(io.BytesIO(png.data), format="png")
    assert pixels.shape[:2] == (HEIGHT_PX, WIDTH_PX)
    assert pixels.std() > 0.05  # something was drawn


async def test_chart_for_a_newcomer_is_still_a_chart(app):
    reply = await app.progress.chart(LearnerRef("console", "new"))
    assert "**0** reviews on **0** days" in reply.body
    assert imread(io.BytesIO(reply.files[0].data), format="png").shape[:2] == (HEIGHT_PX, WIDTH_PX)


async def test_a_weak_topic_button_serves_that_topic(history_app):
    # Due reviews first: S (caching) is the only due card on that topic.
    served = await history_app.buttons.press(ANA, "topic:caching:0")
    assert served.kind == "question" and served.footer.endswith("· sd-a")
    revealed = await history_app.buttons.press(ANA, key(served, "reveal"))
    await history_app.buttons.press(ANA, key(revealed, "grade", GOOD))
    served = await history_app.buttons.press(ANA, "topic:caching:0")
    assert served.kind == "info" and "Caching" in served.body
    with pytest.raises(InvalidInput):
        await history_app.practice.next_question(ANA, topic="knitting")


# Leaderboards ------------------------------------------------------------------------------------
GUILD = "discord:G1"


def who(n: int, name: str) -> LearnerRef:
    return LearnerRef("discord", str(n), "", name)


async def practise_days(app, clock, learner: LearnerRef, days_ago: list[int], per_day: int = 1, tenant=GUILD):
    """Reviews on the given days before the test's today (UTC), one question each."""
    start = clock.now()
    for ago in days_ago:
        clock.set(start - timedelta(days=ago))
        for n in range(per_day):
            await review(app, learner, f"db-{'abcd'[n]}", GOOD, tenant=tenant)
    clock.set(start)


async def test_leaderboard_ranks_by_days_then_reviews_with_shared_ranks(app, clock):
    ana, bo, cy, di, ed = who(1, "Ana"), who(2, "**@everyone** Bo"), who(3, "Cy"), who(4, "Di"), who(5, "Ed")
    await practise_days(app, clock, ana, [0, 1, 2], per_day=1)  # 3 days, 3 reviews
    await practise_days(app, clock, bo, [0, 2, 4], per_day=2)  # 3 days, 6 reviews
    await practise_days(app, clock, cy, [1, 3, 5], per_day=2)  # 3 days, 6 reviews: ties with Bo
    await practise_days(app, clock, di, [0], per_day=4)  # 1 day, 4 reviews: more reviews, fewer days
    await practise_days(app, clock, ed, [0, 1, 2, 3], tenant="discord:OTHER")  # elsewhere
    await practise_days(app, clock, ana, [20, 21, 22])  # long ago: counts for all time only
    week = await app.progress.leaderboard(ana, GUILD)
    assert week.title == "Leaderboard · last 7 days"
    assert week.body.splitlines() == [
        "**1.** everyone Bo · 3 days · 6 reviews",
        "**1.** Cy · 3 days · 6 reviews",
        "**3.** Ana · 3 days · 3 reviews ← you",
        "**4.** Di · 1 day · 4 reviews",
    ]
    assert week.footer == "Ranked by days practised, then reviews done · 4 learners"
    ever = await app.progress.leaderboard(ana, GUILD, "all")
    assert ever.body.splitlines()[0] == "**1.** Ana · 6 days · 6 reviews ← you"

    opted = await app.progress.set_leaderboard_opt_out(bo, True)
    assert opted.title == "Hidden from leaderboards"
    hidden = await app.progress.leaderboard(bo, GUILD)
    assert "Bo" not in hidden.body and hidden.body.splitlines()[0] == "**1.** Cy · 3 days · 6 reviews"
    assert hidden.footer.endswith("you are hidden from leaderboards")
    await app.progress.set_leaderboard_opt_out(bo, False)
    assert "everyone Bo" in (await app.progress.leaderboard(cy, GUILD)).body
    with pytest.raises(InvalidInput):
        await app.progress.leaderboard(ana, GUILD, "fortnight")


async def test_leaderboard_shows_the_top_ten_and_where_you_stand(app, clock):
    for n in range(12):  # L0..L5 practised 7..2 days; L6..L11 one day each
        await practise_days(app, clock, who(n, f"L{n}"), list(range(7 - n)) if n < 6 else [0])
    lines = (await app.progress.leaderboard(who(11, "L11"), GUILD)).body.splitlines()
    assert len(lines) == 12 and lines[10] == "…"
    assert lines[0] == "**1.** L0 · 7 days · 7 reviews"
    assert lines[9] == "**7.** L9 · 1 day · 1 review"  # L6..L11 share rank 7
    assert lines[11] == "**7.** L11 · 1 day · 1 review ← you"


async def test_an_empty_leaderboard_says_so(app):
    reply = await app.progress.leaderboard(who(1, "Ana"), GUILD)
    assert "Be the first" in reply.body
