"""Hand-built questions and subscribers for tests (and benchmarks), independent of the shipped bank."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from question_bank.loader import Bank
from question_bank.schema import Question


def question(qid: str, category: str = "databases", level: str = "mid", topics: tuple[str, ...] = ("indexing",), **extra: Any) -> Question:
    data: dict[str, Any] = dict(
        id=qid,
        category=category,
        title=f"Question {qid}",
        prompt=f"A concrete scenario for {qid}: a service with many users and a constraint worth discussing at length.",
        level=level,
        difficulty="medium",
        time_box_minutes=10,
        topics=list(topics),
        key_points=["First key point", "Second key point", "Third key point"],
        follow_ups=[{"question": "Why?", "probes": "reasoning"}, {"question": "What else?", "probes": "breadth"}],
        pitfalls=["A pitfall"],
        hints=["A hint"],
    )
    if category == "behavioral":
        data.update(
            star={k: f"{k} guidance" for k in ("situation", "task", "action", "result", "reflection")},
            listen_for=["Specifics", "Ownership"],
            red_flags=["Blame", "Vagueness"],
        )
    else:
        data["outline"] = ["Step one", "Step two", "Step three"]
    data.update(extra)
    return Question.model_validate(data)


def small_bank() -> Bank:
    return Bank(
        (
            question("db-a", topics=("indexing",)),
            question("db-b", topics=("indexing",)),
            question("db-c", topics=("transactions",)),
            question("db-d", level="senior", topics=("replication-lag",)),
            question("sd-a", category="system_design", topics=("caching",)),
            question("sd-b", category="system_design", level="staff", topics=("consensus",)),
            question("be-a", category="backend", topics=("http",)),
            question("bh-a", category="behavioral", topics=("conflict",)),
        )
    )


async def seed_dm_targets(
    engine: Any, count: int, *, due: datetime, zone: str, local_time: str, platform: str = "discord",
    first_user: int = 1, spread: timedelta = timedelta(0), dm_channels: bool = False,
) -> list[str]:  # fmt: skip
    """`count` learners subscribed to a daily DM at `local_time` in `zone`, next push at `due` (the
    i-th at due + spread * i / count), DM channel "D<user id>" already known if `dm_channels`.
    Bulk inserts, so benchmarks can seed 100,000 of them; returns their platform user ids."""
    from sqlalchemy import insert, select

    from storage.models import Learner, PushTarget

    users = [str(first_user + i) for i in range(count)]
    for start in range(0, count, 5000):
        chunk = users[start : start + 5000]
        async with engine.begin() as conn:
            await conn.execute(
                insert(Learner),
                [dict(platform=platform, platform_user_id=u, workspace="", display_name="", timezone=zone,
                      preferences={}, created_at=due, leaderboard_opt_out=False) for u in chunk],
            )  # fmt: skip
            rows = await conn.execute(
                select(Learner.id, Learner.platform_user_id).where(
                    Learner.platform == platform, Learner.platform_user_id.in_(chunk)
                )
            )
            await conn.execute(
                insert(PushTarget),
                [dict(key=f"dm:{lid}", kind="dm", platform=platform, tenant=None, learner_id=lid, recipient=uid,
                      channel_id=f"D{uid}" if dm_channels else None, local_time=local_time, timezone=zone,
                      categories=[], active=True, next_push_at=due + spread * (int(uid) - first_user) / count,
                      created_by=uid, updated_at=due) for lid, uid in rows],
            )  # fmt: skip
    return users
