"""next_question + grade on a SQLite database of N learners x M cards, beside the bare SQL floor.

The floor runs the same statements those two use cases need (learner lookup, due cards, mark shown;
learner lookup, card read, card update, review insert; one BEGIN IMMEDIATE transaction each) with the
same driver (aiosqlite) on the same file, without the application around them. Both are measured
in the same run, interleaved, on different learners.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import aiosqlite

from bot.core.actions import ActionKey
from bot.core.catalog import Catalog
from bot.core.practice import LearnerRef, Practice, PracticeConfig
from bot.core.scheduling import Scheduler
from question_bank.loader import Bank
from question_bank.schema import Question
from storage.db import create_engine
from storage.migrate import upgrade
from storage.repositories import Store

DATA = Path(__file__).resolve().parent / ".data"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 15, 0, tzinfo=timezone.utc)
CATEGORIES = ("system_design", "databases", "behavioral", "backend")
TOPICS = {"system_design": "caching", "databases": "indexing", "behavioral": "conflict", "backend": "http"}


class Clock:
    def now(self) -> datetime:
        return NOW


def synthetic_bank(n: int) -> Bank:
    """n valid questions spread over the four categories (content does not matter here)."""
    questions = []
    for i in range(n):
        category = CATEGORIES[i % 4]
        data = dict(
            id=f"q-{i}", category=category, title=f"Question {i}", prompt="x" * 120, level="mid",
            difficulty="medium", time_box_minutes=10, topics=[TOPICS[category]],
            key_points=["one point", "two point", "three point"],
            follow_ups=[{"question": "a", "probes": "b"}, {"question": "c", "probes": "d"}],
            pitfalls=["p"], hints=["h"],
        )  # fmt: skip
        if category == "behavioral":
            data.update(star={k: "s" for k in ("situation", "task", "action", "result", "reflection")},
                        listen_for=["a", "b"], red_flags=["c", "d"])  # fmt: skip
        else:
            data["outline"] = ["a", "b", "c"]
        questions.append(Question.model_validate(data))
    return Bank(tuple(questions))


async def build_database(path: Path, learners: int, cards: int, bank_size: int) -> None:
    if path.exists():  # built by an earlier run: bring it to the current schema
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp}")
    await upgrade(engine)
    await engine.dispose()
    rng = random.Random(42)
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    created = NOW.replace(tzinfo=None).isoformat(" ")
    con.executemany(
        "INSERT INTO learners (id, platform, platform_user_id, workspace, display_name, timezone, preferences, created_at,"
        " leaderboard_opt_out) VALUES (?, 'discord', ?, '', '', 'UTC', '{}', ?, 0)",
        ((i, str(i), created) for i in range(1, learners + 1)),
    )
    card_id = 0
    review_id = 0
    for learner in range(1, learners + 1):
        card_rows, review_rows = [], []
        for qn in rng.sample(range(bank_size), cards):
            card_id += 1
            # ~5% due today or overdue, the rest spread over the next 60 days
            due = TODAY + timedelta(days=rng.randint(-5, 0) if rng.random() < 0.05 else rng.randint(1, 60))
            last = due - timedelta(days=rng.randint(2, 30))
            card_rows.append((card_id, learner, f"q-{qn}", 2, None, rng.uniform(2, 40), rng.uniform(2, 8),
                               due.isoformat(), last.isoformat(), 1, 1, 0, last.isoformat(), last.isoformat()))  # fmt: skip
            review_id += 1
            review_rows.append((review_id, card_id, learner, f"q-{qn}", 3, created, last.isoformat(), 0,
                                (due - last).days, 5.0, 5.0, None, f"{learner}:q-{qn}:0"))  # fmt: skip
        con.executemany(
            "INSERT INTO cards (id, learner_id, question_id, state, step, stability, difficulty, due, last_review,"
            " version, reps, lapses, introduced_on, last_shown_on) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            card_rows,
        )
        con.executemany(
            "INSERT INTO reviews (id, card_id, learner_id, question_id, rating, reviewed_at, review_date, card_version,"
            " scheduled_days, stability, difficulty, answer_text, idempotency_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            review_rows,
        )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    tmp.rename(path)


# A linked identity resolves to the learner it was merged into, in the same statement.
LEARNER_BY_IDENTITY = (
    "SELECT l.id, l.platform, l.platform_user_id, l.workspace, l.display_name, l.timezone, l.preferences,"
    " l.leaderboard_opt_out FROM learners AS i JOIN learners AS l ON l.id = coalesce(i.merged_into, i.id)"
    " WHERE i.platform = 'discord' AND i.workspace = '' AND i.platform_user_id = ?"
)


async def floor_pair(db: aiosqlite.Connection, learner: int) -> tuple[float, float]:
    """The bare statements next_question and grade need, timed the same way."""
    t0 = time.perf_counter()
    await db.execute("BEGIN IMMEDIATE")
    cur = await db.execute(
        LEARNER_BY_IDENTITY, (str(learner),))  # fmt: skip
    (learner_id, *_), = await cur.fetchall()
    cur = await db.execute(
        "SELECT id, question_id, state, step, stability, difficulty, due, last_review, version, reps, lapses,"
        " introduced_on, last_shown_on, draft_answer, buried_on FROM cards WHERE learner_id = ?"
        " AND last_review IS NOT NULL AND due <= ? ORDER BY CASE WHEN buried_on = ? THEN 1 ELSE 0 END, due, id",
        (learner_id, TODAY.isoformat(), TODAY.isoformat()),
    )
    rows = await cur.fetchall()
    card = rows[0]
    await db.execute("UPDATE cards SET last_shown_on = ? WHERE id = ?", (TODAY.isoformat(), card[0]))
    await db.execute("COMMIT")
    t1 = time.perf_counter()
    await db.execute("BEGIN IMMEDIATE")
    cur = await db.execute(
        LEARNER_BY_IDENTITY, (str(learner),))  # fmt: skip
    await cur.fetchall()
    cur = await db.execute(
        "SELECT id, question_id, state, step, stability, difficulty, due, last_review, version, reps, lapses,"
        " introduced_on, last_shown_on, draft_answer, buried_on FROM cards WHERE learner_id = ? AND question_id = ?",
        (learner_id, card[1]),
    )
    await cur.fetchall()
    await db.execute(
        "UPDATE cards SET state=?, step=?, stability=?, difficulty=?, due=?, last_review=?, version=?, reps=reps+1,"
        " lapses=lapses+0, draft_answer=NULL WHERE id = ? AND version = ?",
        (2, None, 10.0, 5.0, (TODAY + timedelta(days=9)).isoformat(), TODAY.isoformat(), card[8] + 1, card[0], card[8]),
    )
    await db.execute(
        "INSERT INTO reviews (card_id, learner_id, question_id, rating, reviewed_at, review_date, card_version,"
        " scheduled_days, stability, difficulty, answer_text, idempotency_key, before_state, before_step,"
        " before_stability, before_difficulty, before_due, before_last_review) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (card[0], learner_id, card[1], 3, NOW.replace(tzinfo=None).isoformat(" "), TODAY.isoformat(), card[8], 9,
         10.0, 5.0, None, f"floor:{learner_id}:{card[1]}:{card[8]}", card[2], card[3], card[4], card[5], card[6],
         card[7]),  # fmt: skip
    )
    await db.execute("COMMIT")
    t2 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t1) * 1000


async def app_pair(practice: Practice, learner: int) -> tuple[float, float]:
    who = LearnerRef("discord", str(learner))
    t0 = time.perf_counter()
    reply = await practice.next_question(who)
    t1 = time.perf_counter()
    reveal = next(a.key for a in reply.actions if a.key.startswith("reveal:"))
    parsed = ActionKey.parse(reveal)
    await practice.grade(who, ActionKey("grade", parsed.question_id, parsed.version, 3).encode())
    t2 = time.perf_counter()
    assert reply.kind == "question"
    return (t1 - t0) * 1000, (t2 - t1) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(learners: int, cards: int, samples: int) -> None:
    bank_size = max(400, cards * 2)
    path = DATA / f"practice-{learners}x{cards}.db"
    t = time.perf_counter()
    await build_database(path, learners, cards, bank_size)
    print(f"database: {path.name} ({path.stat().st_size / 1e6:.0f} MB, ready in {time.perf_counter() - t:.1f} s)")
    work = path.with_suffix(".run.db")
    work.write_bytes(path.read_bytes())  # measure on a copy so every run starts from the same state
    for suffix in ("-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)

    engine = create_engine(f"sqlite+aiosqlite:///{work}")
    practice = Practice(Store(engine), Catalog(synthetic_bank(bank_size)), Scheduler(fuzz=True), Clock(),
                        PracticeConfig(default_timezone="UTC", daily_new_cap=5))  # fmt: skip
    db = await aiosqlite.connect(work, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
        await db.execute(f"PRAGMA {pragma}")

    # Learners with a due card, so both paths serve a review (the common case and the heavier one).
    cur = await db.execute("SELECT DISTINCT learner_id FROM cards WHERE due <= ? ORDER BY learner_id", (TODAY.isoformat(),))
    eligible = [r[0] for r in await cur.fetchall()]
    rng = random.Random(7)
    rng.shuffle(eligible)
    warmup = 200
    needed = 2 * (samples + warmup)
    if len(eligible) < needed:
        raise SystemExit(f"only {len(eligible)} learners have due cards; lower --samples")
    app_ids, floor_ids = eligible[: needed // 2], eligible[needed // 2 : needed]

    app_next, app_grade, floor_next, floor_grade = [], [], [], []
    for i, (a, f) in enumerate(zip(app_ids, floor_ids, strict=True)):
        an, ag = await app_pair(practice, a)
        fn, fg = await floor_pair(db, f)
        if i >= warmup:
            app_next.append(an), app_grade.append(ag), floor_next.append(fn), floor_grade.append(fg)
    await db.close()
    await engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)

    rows = [
        ("next_question", app_next, floor_next),
        ("grade", app_grade, floor_grade),
        ("next_question + grade", [a + b for a, b in zip(app_next, app_grade)], [a + b for a, b in zip(floor_next, floor_grade)]),
    ]
    print(f"\nSQLite, {learners:,} learners x {cards} cards, {samples:,} samples each (after {warmup} warm-up)\n")
    print("| operation | app median ms | app p99 ms | SQL floor median ms | SQL floor p99 ms | p99 / floor p99 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, app, floor in rows:
        print(f"| {name} | {statistics.median(app):.2f} | {pct(app, 0.99):.2f} | {statistics.median(floor):.2f} "
              f"| {pct(floor, 0.99):.2f} | {pct(app, 0.99) / pct(floor, 0.99):.1f}x |")  # fmt: skip
