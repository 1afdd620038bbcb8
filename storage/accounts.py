"""Queries behind account linking, export and deletion (mixed into Repository).

The core decides what to merge and keep; these methods only carry it out, inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Card,
    CustomQuestion,
    Delivery,
    Learner,
    LinkCode,
    LinkGuess,
    Mock,
    PushTarget,
    Review,
    StudyPlan,
    slack_installations,
)

L, C, R, Q = Learner.__table__, Card.__table__, Review.__table__, CustomQuestion.__table__
T, D, M = PushTarget.__table__, Delivery.__table__, Mock.__table__
LC, LG = LinkCode.__table__, LinkGuess.__table__
SI = slack_installations
SP = StudyPlan.__table__  # deleted with its learner (ON DELETE CASCADE), as are refit claims


@dataclass(frozen=True)
class LinkCodeRecord:
    id: int
    learner_id: int
    expires_at: datetime
    used_at: datetime | None
    wrong_guesses: int  # wrong codes entered anywhere while this one was live


@dataclass(frozen=True)
class MergeCounts:
    cards: int  # cards moved over
    reviews: int  # reviews moved over
    dm_dropped: bool  # the merged learner's daily DM was dropped (the other already had one)


def _dm_key(learner_id: int) -> str:
    return f"dm:{learner_id}"


class AccountQueries:
    _conn: AsyncConnection

    async def lock_learner(self, learner_id: int) -> None:
        """Serialise concurrent code redemptions of one learner (a no-op on SQLite, which locks the
        whole database for a write transaction anyway)."""
        await self._conn.execute(select(L.c.id).where(L.c.id == learner_id).with_for_update())

    # link codes --------------------------------------------------------------------------------
    async def replace_link_code(self, learner_id: int, code_hash: str, expires_at: datetime, now: datetime) -> bool:
        """Make this the learner's one unused code. False (nothing stored) when another learner holds
        an unused, unexpired code with the same hash: the caller draws another."""
        live_elsewhere = select(LC.c.id).where(
            LC.c.code_hash == code_hash, LC.c.used_at.is_(None), LC.c.expires_at > now, LC.c.learner_id != learner_id
        )
        if (await self._conn.execute(live_elsewhere)).first() is not None:
            return False
        await self._conn.execute(delete(LC).where(LC.c.learner_id == learner_id, LC.c.used_at.is_(None)))
        await self._conn.execute(
            insert(LC).values(learner_id=learner_id, code_hash=code_hash, expires_at=expires_at, created_at=now)
        )
        return True

    async def link_codes(self, code_hash: str) -> list[LinkCodeRecord]:
        stmt = select(LC.c.id, LC.c.learner_id, LC.c.expires_at, LC.c.used_at, LC.c.wrong_guesses).where(
            LC.c.code_hash == code_hash
        )
        return [LinkCodeRecord(*row) for row in await self._conn.execute(stmt.order_by(LC.c.id.desc()))]

    async def use_link_code(self, code_id: int, now: datetime) -> bool:
        """Spend a code; False if it was spent meanwhile."""
        result = await self._conn.execute(
            update(LC).where(LC.c.id == code_id, LC.c.used_at.is_(None)).values(used_at=now)
        )
        return result.rowcount == 1

    async def wrong_guesses_by(self, identity_hash: str, since: datetime) -> list[datetime]:
        """When this platform identity entered a wrong, expired or spent code after `since`, oldest first."""
        stmt = (
            select(LG.c.guessed_at)
            .where(LG.c.identity_hash == identity_hash, LG.c.guessed_at > since)
            .order_by(LG.c.guessed_at)
        )
        return list((await self._conn.execute(stmt)).scalars())

    async def wrong_guesses_since(self, since: datetime) -> tuple[int, datetime | None]:
        """Wrong codes entered by anyone after `since`: how many, and when the oldest of them was."""
        stmt = select(func.count(), func.min(LG.c.guessed_at)).where(LG.c.guessed_at > since)
        count, oldest = (await self._conn.execute(stmt)).one()
        return count, oldest

    async def record_wrong_guess(self, identity_hash: str, now: datetime, *, forget_before: datetime) -> None:
        """Count a wrong code against the identity that entered it and against every code live now
        (it could have been a guess at any of them); guesses older than `forget_before` are pruned."""
        await self._conn.execute(insert(LG).values(identity_hash=identity_hash, guessed_at=now))
        await self._conn.execute(delete(LG).where(LG.c.guessed_at <= forget_before))
        await self._conn.execute(
            update(LC)
            .where(LC.c.used_at.is_(None), LC.c.expires_at > now)
            .values(wrong_guesses=LC.c.wrong_guesses + 1)
        )

    # merging -----------------------------------------------------------------------------------
    async def fold_card(self, drop_id: int, into_id: int, version: int) -> None:
        """Two cards for one question: every review of `drop_id` now belongs to `into_id`, which
        continues at `version` (past both cards' versions, so no grade key is ever reused)."""
        await self._conn.execute(update(R).where(R.c.card_id == drop_id).values(card_id=into_id))
        await self._conn.execute(delete(C).where(C.c.id == drop_id))
        await self._conn.execute(update(C).where(C.c.id == into_id).values(version=version))

    async def merge_learner(self, merged_id: int, into_id: int) -> MergeCounts:
        """Move everything of `merged_id` to `into_id` and make its identities resolve there.
        Cards for the same question must have been folded first (one card per question)."""
        cards = await self._conn.execute(update(C).where(C.c.learner_id == merged_id).values(learner_id=into_id))
        reviews = await self._conn.execute(update(R).where(R.c.learner_id == merged_id).values(learner_id=into_id))
        await self._conn.execute(update(M).where(M.c.learner_id == merged_id).values(learner_id=into_id))
        dm_dropped = await self._merge_dm_target(merged_id, into_id)
        await self._conn.execute(delete(LC).where(LC.c.learner_id == merged_id))
        await self._conn.execute(update(L).where(L.c.merged_into == merged_id).values(merged_into=into_id))
        await self._conn.execute(update(L).where(L.c.id == merged_id).values(merged_into=into_id))
        return MergeCounts(cards=cards.rowcount, reviews=reviews.rowcount, dm_dropped=dm_dropped)

    async def _merge_dm_target(self, merged_id: int, into_id: int) -> bool:
        """One daily DM per learner: the merged learner's DM moves over, unless there is one already
        (then it is dropped with its deliveries). It keeps its recipient, so it still goes to the
        platform where it was set up."""
        mine = select(T.c.id).where(T.c.kind == "dm", T.c.learner_id == merged_id)
        moving = list((await self._conn.execute(mine)).scalars())
        if not moving:
            return False
        theirs = select(T.c.id).where(T.c.kind == "dm", T.c.learner_id == into_id)
        if (await self._conn.execute(theirs)).first() is not None:
            await self._conn.execute(delete(D).where(D.c.target_id.in_(moving)))
            await self._conn.execute(delete(T).where(T.c.id.in_(moving)))
            return True
        await self._conn.execute(update(T).where(T.c.id.in_(moving)).values(learner_id=into_id, key=_dm_key(into_id)))
        return False

    # export and deletion -----------------------------------------------------------------------
    async def export_rows(self, learner_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about a learner, as plain column -> value rows (no internal keys)."""
        identities = (
            select(L.c.platform, L.c.platform_user_id, L.c.workspace, L.c.display_name, L.c.created_at)
            .where(func.coalesce(L.c.merged_into, L.c.id) == learner_id)
            .order_by(L.c.id)
        )
        learner = select(
            L.c.timezone, L.c.timezone_chosen, L.c.preferences, L.c.leaderboard_opt_out, L.c.created_at
        ).where(L.c.id == learner_id)
        cards = select(
            C.c.question_id, C.c.state, C.c.stability, C.c.difficulty, C.c.due, C.c.last_review, C.c.reps,
            C.c.lapses, C.c.introduced_on, C.c.last_shown_on, C.c.draft_answer, C.c.buried_on,
        ).where(C.c.learner_id == learner_id).order_by(C.c.id)  # fmt: skip
        reviews = select(
            R.c.question_id, R.c.rating, R.c.reviewed_at, R.c.review_date, R.c.scheduled_days, R.c.stability,
            R.c.difficulty, R.c.answer_text, R.c.suggested_grade, R.c.covered_points, R.c.tenant,
        ).where(R.c.learner_id == learner_id).order_by(R.c.reviewed_at, R.c.id)  # fmt: skip
        subscriptions = select(
            T.c.kind, T.c.platform, T.c.tenant, T.c.local_time, T.c.timezone, T.c.categories, T.c.active,
            T.c.paused_until, T.c.updated_at,
        ).where(T.c.learner_id == learner_id).order_by(T.c.id)  # fmt: skip
        plan = select(
            SP.c.goal_date, SP.c.goal_set_on, SP.c.goal_categories, SP.c.goal_level, SP.c.new_per_day, SP.c.max_reviews_per_day,
            SP.c.fsrs_parameters, SP.c.fsrs_version, SP.c.fitted_reviews, SP.c.fitted_at,
        ).where(SP.c.learner_id == learner_id)  # fmt: skip
        queries = {
            "learner": learner, "identities": identities, "cards": cards, "reviews": reviews,
            "subscriptions": subscriptions, "study_plan": plan,
        }  # fmt: skip
        rows = {name: [dict(row._mapping) for row in await self._conn.execute(q)] for name, q in queries.items()}
        rows["mock_interviews"] = await self.export_mocks(learner_id)  # type: ignore[attr-defined]
        return rows

    async def forget_learner(self, learner_id: int) -> dict[str, int]:
        """Delete every row about a learner and its linked identities; rows deleted per table."""
        owned = func.coalesce(L.c.merged_into, L.c.id) == learner_id
        authors = await self._conn.execute(select(L.c.platform, L.c.platform_user_id, L.c.workspace).where(owned))
        installs = await self._clear_authorship([tuple(row) for row in authors])
        identities = select(L.c.id).where(owned).scalar_subquery()
        targets = select(T.c.id).where(T.c.learner_id.in_(identities)).scalar_subquery()
        steps = (
            ("deliveries", delete(D).where(D.c.target_id.in_(targets))),
            ("push_targets", delete(T).where(T.c.learner_id.in_(identities))),
            ("reviews", delete(R).where(R.c.learner_id.in_(identities))),
            ("mocks", delete(M).where(M.c.learner_id.in_(identities))),  # with their steps and grades
            ("cards", delete(C).where(C.c.learner_id.in_(identities))),
            ("link_codes", delete(LC).where(LC.c.learner_id.in_(identities))),
            ("learners", delete(L).where(L.c.merged_into == learner_id)),
        )
        deleted = {}
        for table, stmt in steps:
            deleted[table] = (await self._conn.execute(stmt)).rowcount
        deleted["learners"] += (await self._conn.execute(delete(L).where(L.c.id == learner_id))).rowcount
        deleted["slack_installs"] = installs
        return deleted

    async def _clear_authorship(self, identities: list[tuple[str, str, str]]) -> int:
        """What a server owns stays (a channel's question of the day, imported questions, a Slack
        workspace's install of the bot), without the member who set it up: push targets name them by
        platform user id, imports by "platform:user id", Slack installs by user id and user token (the
        workspace's bot token serves it without them). Returns the Slack install rows cleared."""
        installs = 0
        for platform, user_id, workspace in identities:
            if platform == "slack":
                installs += (
                    await self._conn.execute(
                        update(SI)
                        .where(SI.c.team_id == workspace, SI.c.user_id == user_id)
                        .values(
                            user_id="", user_token=None, user_scopes=None, user_refresh_token=None,
                            user_token_expires_at=None,
                        )  # fmt: skip
                    )
                ).rowcount
            await self._conn.execute(
                update(T)
                .where(T.c.kind == "channel", T.c.platform == platform, T.c.created_by == user_id)
                .values(created_by="")
            )
            await self._conn.execute(update(Q).where(Q.c.created_by == f"{platform}:{user_id}").values(created_by=""))
        return installs
