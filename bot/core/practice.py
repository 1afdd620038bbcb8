"""Practice use cases: next question, reveal, write an answer, grade (progress lives in progress.py).

Each use case is one transaction. Buttons carry the card version they were built from
(bot.core.actions); a grade computed from an older version is refused, and a repeated one is
answered from the review it already recorded, so grading is idempotent.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import push_replies, replies
from bot.core.actions import ActionKey
from bot.core.catalog import Catalog, View
from bot.core.errors import InvalidInput, StaleAction, UnknownQuestion
from bot.core.plan import replies as plan_replies
from bot.core.plan.rules import PlanConfig, Planner, card_schedule
from bot.core.ports import Clock
from bot.core.replies import Reply
from bot.core.scheduling import Rating, Schedule, Scheduler, local_day
from question_bank.schema import CATEGORIES, LEVELS, Question
from storage.repositories import LearnerRecord, NewReview, Repository, Store

MAX_ANSWER_CHARS = 4000


@dataclass(frozen=True)
class LearnerRef:
    """Who is asking, as the platform names them."""

    platform: str
    user_id: str
    workspace: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class Served:
    """A question picked for a learner, at their card's version."""

    question: Question
    version: int
    status: str


@dataclass(frozen=True)
class PracticeConfig:
    default_timezone: str = "UTC"
    rollover_hour: int = 4
    daily_new_cap: int = 5


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"'{name}' is not a timezone I know. Use an IANA name such as Europe/Berlin.") from None


def check_filters(category: str | None, level: str | None) -> None:
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(f"Unknown category '{category}'. Choose one of: {', '.join(CATEGORIES)}.")
    if level is not None and level not in LEVELS:
        raise InvalidInput(f"Unknown level '{level}'. Choose one of: {', '.join(LEVELS)}.")


class Practice:
    def __init__(
        self, store: Store, catalog: Catalog, scheduler: Scheduler, clock: Clock, config: PracticeConfig,
        planner: Planner | None = None,
    ):  # fmt: skip
        self.store = store
        self.catalog = catalog
        self.scheduler = scheduler  # FSRS defaults; a learner's own fit comes from the planner
        self.clock = clock
        self.config = config
        self.planner = planner or Planner(PlanConfig(new_per_day=config.daily_new_cap,
                                                     desired_retention=scheduler.desired_retention,
                                                     fuzz=scheduler.fuzz))  # fmt: skip

    # helpers -----------------------------------------------------------------------------------
    async def learner(self, repo: Repository, who: LearnerRef) -> LearnerRecord:
        """The learner behind a platform identity (a linked identity resolves to its learner),
        created on first contact."""
        found = await repo.learner(who.platform, who.user_id, who.workspace)
        if found is not None:
            return found
        return await repo.create_learner(who.platform, who.user_id, who.workspace, who.display_name, self.clock.now())

    def today(self, learner: LearnerRecord) -> date:
        return local_day(
            self.clock.now(), zone(learner.timezone or self.config.default_timezone), self.config.rollover_hour
        )

    async def tell_notice(self, repo: Repository, learner: LearnerRecord, reply: Reply) -> Reply:
        """A notice waiting for the learner (e.g. their daily question stopped) rides on this reply, once."""
        if learner.notice is None:
            return reply
        await repo.set_notice(learner.id, None)
        return push_replies.with_notice(reply, learner.notice)

    @staticmethod
    def _question(view: View, question_id: str) -> Question:
        q = view.get(question_id)
        if q is None:
            raise UnknownQuestion(question_id)
        return q

    async def _lookup(self, question_id: str, tenant: str | None) -> Question:
        if tenant is None:  # the shipped bank needs no transaction (on SQLite one takes the write lock)
            return self._question(self.catalog.shipped, question_id)
        async with self.store.transaction() as repo:
            return self._question(await self.catalog.view(repo, tenant), question_id)

    # use cases ---------------------------------------------------------------------------------
    async def next_question(
        self,
        who: LearnerRef,
        category: str | None = None,
        level: str | None = None,
        *,
        reviews_only: bool = False,
        tenant: str | None = None,
        topic: str | None = None,
    ) -> Reply:
        """Due reviews first (most overdue first), then a new question within the daily cap."""
        check_filters(category, level)

        def fits(q: Question | None) -> bool:
            return (
                q is not None
                and (category is None or q.category == category)
                and (level is None or q.level == level)
                and (topic is None or topic in q.topics)
            )

        async with self.store.transaction() as repo:
            view = await self.catalog.view(repo, tenant)
            if topic is not None and not any(topic in q.topics for q in view.questions):
                raise InvalidInput(f"There are no questions on the topic '{topic}' here.")
            learner = await self.learner(repo, who)
            today = self.today(learner)
            served, limit = await self._serve(repo, view, learner.id, today, fits, reviews_only=reviews_only)
            if served is not None:
                reply = replies.question_reply(served.question, served.version, status=served.status)
            elif limit == "reviews":
                limits = self.planner.limits(await repo.study_plan(learner.id))
                reply = plan_replies.review_limit_reply(limits.max_reviews_per_day)
            else:
                upcoming = [c.due for c in await repo.cards(learner.id) if c.due > today and fits(view.get(c.question_id))]
                reply = replies.nothing_due_reply(
                    min(upcoming, default=None), today, category=category, topic=topic, cap_reached=limit == "new",
                    reviews_only=reviews_only,
                )  # fmt: skip
            return await self.tell_notice(repo, learner, reply)

    async def _serve(
        self, repo: Repository, view: View, learner_id: int, today: date, fits: Callable[[Question | None], bool],
        *, reviews_only: bool = False, fits_new: Callable[[Question | None], bool] | None = None,
    ) -> tuple[Served | None, str | None]:  # fmt: skip
        """What the study plan says to serve (bot.core.plan.rules): a due card, lowest predicted recall
        first, or a new question fitting `fits_new` (default: `fits`) within the day's limits, marked
        shown / added; and whether a daily limit stopped it ("new" or "reviews")."""
        choice = await self.planner.choose(
            repo, view, learner_id, today, fits, fits_new or fits, reviews_only=reviews_only
        )
        if choice.card is not None:
            card = choice.card
            q = view.get(card.question_id)
            assert q is not None
            await repo.mark_shown(card.id, today)
            overdue = (today - card.due).days
            status = "Review" + (f" · {overdue} day(s) overdue" if overdue > 0 else " · due today" if overdue == 0
                                 else " · before your goal date")  # fmt: skip
            if card.last_review is None:
                status = "Seen, not graded yet"
            return Served(q, card.version, status), None
        if choice.fresh:
            q = self._spread_pick(list(choice.fresh), set(choice.have), learner_id, view)
            new = Schedule.new(today)
            card = await repo.add_card(learner_id, q.id, new.state, new.step, today)
            status = f"New question ({choice.new_today + 1} of {choice.new_limit} today)"
            return Served(q, card.version, status), None
        return None, "reviews" if choice.review_cap_reached else "new" if choice.new_cap_reached else None

    async def daily_question(
        self, repo: Repository, learner_id: int, categories: Sequence[str], tenant: str | None, *, chosen: str | None
    ) -> tuple[Question, Reply] | None:
        """A learner's daily push, in the caller's transaction: their most overdue card, else a new
        question from their categories (same rules and cap as asking). `chosen`: the question an
        earlier attempt of the same push picked, sent again. None: nothing to send today."""
        learner = await repo.learner_by_id(learner_id)
        if learner is None:
            return None
        view = await self.catalog.view(repo, tenant)
        today = self.today(learner)
        if chosen is not None:
            q, card = view.get(chosen), await repo.card(learner.id, chosen)
            served = Served(q, card.version, "Question") if q is not None and card is not None else None
        else:  # any due card of theirs; the categories choose new questions only

            def in_categories(q: Question | None) -> bool:
                return q is not None and (not categories or q.category in categories)

            served, _ = await self._serve(repo, view, learner.id, today, lambda q: q is not None, fits_new=in_categories)
        if served is None:
            return None
        status = f"Daily question · {served.status}"
        return served.question, replies.question_reply(served.question, served.version, status=status)

    @staticmethod
    def _spread_pick(fresh: list[Question], have: set[str], learner_id: int, view: View) -> Question:
        """Prefer the category and topics the learner has seen least; ties in a per-learner stable order."""
        seen = [q for qid in have if (q := view.get(qid)) is not None]
        by_category = Counter(q.category for q in seen)
        by_topic = Counter(t for q in seen for t in q.topics)

        def key(q: Question) -> tuple[int, float, int]:
            topic_load = sum(by_topic[t] for t in q.topics) / len(q.topics)
            return by_category[q.category], topic_load, zlib.crc32(f"{learner_id}:{q.id}".encode())

        return min(fresh, key=key)

    async def show(self, who: LearnerRef, question_id: str, tenant: str | None = None) -> Reply:
        """A specific question (e.g. the question of the day) with buttons built from the learner's own card."""
        async with self.store.transaction() as repo:
            q = self._question(await self.catalog.view(repo, tenant), question_id)
            learner = await self.learner(repo, who)
            today = self.today(learner)
            card = await repo.card(learner.id, q.id)
            if card is None:
                new = Schedule.new(today)
                card = await repo.add_card(learner.id, q.id, new.state, new.step, today)
            else:
                await repo.mark_shown(card.id, today)
            return await self.tell_notice(repo, learner, replies.question_reply(q, card.version, status="Question"))

    async def reveal(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        action = ActionKey.parse(key)
        if action.verb not in ("reveal", "answer"):
            raise StaleAction("that button is not a reveal button")
        return replies.reveal_reply(await self._lookup(action.question_id, tenant), action.version)

    async def submit_answer(self, who: LearnerRef, key: str, text: str, tenant: str | None = None) -> Reply:
        """Keep the learner's written answer for their grade, then show the key points to compare."""
        action = ActionKey.parse(key)
        text = text.strip()
        if len(text) > MAX_ANSWER_CHARS:
            raise InvalidInput(f"Answers are limited to {MAX_ANSWER_CHARS} characters (yours has {len(text)}).")
        if not text:
            return replies.reveal_reply(await self._lookup(action.question_id, tenant), action.version)
        async with self.store.transaction() as repo:
            q = self._question(await self.catalog.view(repo, tenant), action.question_id)
            learner = await self.learner(repo, who)
            card = await repo.card(learner.id, q.id)
            if card is None or not await repo.save_draft(card.id, action.version, text):
                raise StaleAction("this question was graded since; ask for it again to answer")
        return replies.reveal_reply(q, action.version)

    async def grade(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        action = ActionKey.parse(key)
        if action.verb != "grade" or action.rating is None:
            raise StaleAction("that button is not a grade button")
        rating = Rating(action.rating)
        async with self.store.transaction() as repo:
            # The question may be gone from the bank since it was shown; the grade still counts.
            q = (await self.catalog.view(repo, tenant)).get(action.question_id)
            learner = await self.learner(repo, who)
            today = self.today(learner)
            idem_key = f"{learner.id}:{action.question_id}:{action.version}"
            card = await repo.card(learner.id, action.question_id)
            if card is None:
                raise StaleAction("this question was never shown to you")
            if card.version == action.version:
                scheduler = await self.planner.learner_scheduler(repo, learner.id)
                outcome = scheduler.review(card_schedule(card), rating, today)
                after = outcome.schedule
                assert after.stability is not None and after.difficulty is not None
                review = NewReview(
                    rating=int(rating), reviewed_at=self.clock.now(), review_date=today,
                    scheduled_days=outcome.scheduled_days, idempotency_key=idem_key, answer_text=card.draft_answer,
                    state=after.state, step=after.step, stability=after.stability, difficulty=after.difficulty,
                    due=after.due, lapsed=rating == Rating.AGAIN and card.last_review is not None, tenant=tenant,
                )  # fmt: skip
                if await repo.record_review(learner.id, card, review):
                    return replies.graded_reply(q, rating, after.due, today, category=q.category if q else None)
                card = await repo.card(learner.id, action.question_id)  # a concurrent click won the race
                assert card is not None
            previous = await repo.review_by_key(idem_key)
            if previous is not None:
                return replies.already_graded_reply(
                    Rating(previous.rating), card.due, today, q.category if q else None
                )
            raise StaleAction("this card was graded again since these buttons were made")

    async def adopt_timezone(self, who: LearnerRef, name: str) -> bool:
        """The platform's idea of the learner's zone (e.g. their Slack profile), used only while they
        have not chosen one themselves. An unknown name is ignored: it is not the learner's input."""
        try:
            zone(name)
        except InvalidInput:
            return False
        async with self.store.transaction() as repo:
            learner = await self.learner(repo, who)
            return learner.timezone is None and await repo.set_timezone_if_unset(learner.id, name)

    async def set_timezone(self, who: LearnerRef, name: str) -> Reply:
        zone(name)  # raises InvalidInput with a clear message
        async with self.store.transaction() as repo:
            learner = await self.learner(repo, who)
            await repo.set_timezone(learner.id, name)
        return Reply(title="Timezone saved", body=f"Your days now follow {name}.", kind="info")
