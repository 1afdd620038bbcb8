"""Practice use cases: next question, reveal, write an answer, grade, skip, undo (progress lives in
progress.py).

Each use case is one transaction. Buttons carry the card version they were built from
(bot.core.actions); a grade computed from an older version is refused, and a repeated one is
answered from the review it already recorded, so grading is idempotent. Undo puts the card back at
the version the grade was made from, so the grade buttons of that version work again, and a repeated
undo finds nothing left to undo.

The learner's day (bot.core.agenda): a graded card whose date has come is *due*; a card shown and
never graded is *seen, not graded* and is still a new question; a daily new-question slot is used
only by a new question's first grade. Skipping sets a question aside for the day (Anki's "bury"): it
is served again that day only when nothing else is left.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import agenda, push_replies, replies
from bot.core.actions import UNDO_MINUTES, ActionKey, millis, undo_key
from bot.core.feedback import Assessment, Feedback
from bot.core.feedback import replies as feedback_replies
from bot.core.feedback.llm import Explainer
from bot.core.catalog import Catalog, View
from bot.core.errors import InvalidInput, StaleAction, UnknownQuestion
from bot.core.plan import replies as plan_replies
from bot.core.plan.rules import PlanConfig, Planner, card_schedule
from bot.core.ports import Clock, NoObserver, Observer
from bot.core.replies import Reply
from bot.core.scheduling import Rating, Schedule, Scheduler, local_day
from question_bank.schema import CATEGORIES, LEVELS, Question
from storage.repositories import CardRecord, LastReview, LearnerRecord, NewReview, Repository, Store

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


def grade_key(learner_id: int, question_id: str, version: int) -> str:
    """Names one grade of one card version: its idempotency key, and the seed of its fuzz (so the
    interval a grade button shows is the one that grade gives)."""
    return f"{learner_id}:{question_id}:{version}"


def is_lapse(rating: Rating, last_review: date | None) -> bool:
    """Forgetting a question that had been recalled before."""
    return rating == Rating.AGAIN and last_review is not None


class Practice:
    def __init__(
        self, store: Store, catalog: Catalog, scheduler: Scheduler, clock: Clock, config: PracticeConfig,
        feedback: Feedback | None = None, explainer: Explainer | None = None, observer: Observer | None = None,
        planner: Planner | None = None,
    ):  # fmt: skip
        self.store = store
        self.catalog = catalog
        self.scheduler = scheduler  # FSRS defaults; a learner's own fit comes from the planner
        self.clock = clock
        self.config = config
        self.feedback = feedback  # reads written answers; None: the key points are shown unmarked
        self.explainer = explainer  # an optional language model's second opinion
        self.observer = observer or NoObserver()
        self.planner = planner or Planner(PlanConfig(new_per_day=config.daily_new_cap,
                                                     desired_retention=scheduler.desired_retention,
                                                     fuzz=scheduler.fuzz))  # fmt: skip

    # helpers -----------------------------------------------------------------------------------
    async def learner(self, repo: Repository, who: LearnerRef) -> LearnerRecord:
        """The learner behind a platform identity (a linked identity resolves to its learner),
        created on first contact. The identity's name follows what the platform says now."""
        found = await repo.learner(who.platform, who.user_id, who.workspace)
        if found is not None:
            if who.display_name and found.display_name != who.display_name[:100]:
                await repo.rename_identity(who.platform, who.user_id, who.workspace, who.display_name)
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

    async def _scheduler(self, repo: Repository, learner_id: int) -> Scheduler:
        """The scheduler that grades this learner's cards. Grading and the intervals the grade buttons
        show both come from here, so a label always matches the grade."""
        return await self.planner.learner_scheduler(repo, learner_id)

    async def _reveal(self, repo: Repository, learner: LearnerRecord, q: Question, version: int) -> Reply:
        """The key points with grade buttons at `version`, each showing the interval it gives (when
        the learner's card is at that version: other buttons are stale anyway)."""
        card = await repo.card(learner.id, q.id)
        if card is None or card.version != version:
            return replies.reveal_reply(q, version)
        today = self.today(learner)
        scheduler = await self._scheduler(repo, learner.id)
        intervals = scheduler.preview(card_schedule(card), today, seed=grade_key(learner.id, q.id, version))
        return replies.reveal_reply(q, version, intervals, today)

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
        """What the study plan serves next (plan/rules.py): a due review, best remembered first, or a new
        question (the breadth floor puts one first now and then), within the daily limits."""
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
                day = await agenda.load(repo, learner.id, today, self.config.daily_new_cap, lambda qid: fits(view.get(qid)))
                reply = replies.nothing_due_reply(
                    day.next_due, today, category=category, topic=topic, cap_reached=limit == "new",
                    reviews_only=reviews_only, ungraded=len(day.ungraded),
                )  # fmt: skip
            return await self.tell_notice(repo, learner, reply)

    async def _serve(
        self, repo: Repository, view: View, learner_id: int, today: date, fits: Callable[[Question | None], bool],
        *, reviews_only: bool = False, fits_new: Callable[[Question | None], bool] | None = None,
    ) -> tuple[Served | None, str | None]:  # fmt: skip
        """What the study plan says to serve (bot.core.plan.rules): a due card, highest predicted
        recall first; else a new question fitting `fits_new` (default: `fits`) within the day's limits, one
        seen before and not graded first; what was skipped today only when nothing else is left. Also
        whether a daily limit stopped it ("new" or "reviews")."""
        choice = await self.planner.choose(
            repo, view, learner_id, today, fits, fits_new or fits, reviews_only=reviews_only
        )
        if choice.card is not None:
            card = choice.card
            new_number = choice.new_today + 1 if card.last_review is None else None
            return await self._serve_card(repo, view, card, today, new_number, choice.new_limit), None
        if choice.fresh:
            q = self._spread_pick(list(choice.fresh), set(choice.have), learner_id, view)
            new = Schedule.new(today)
            card = await repo.add_card(learner_id, q.id, new.state, new.step, today)
            status = replies.new_status(choice.new_today + 1, choice.new_limit, seen_before=False, skipped=False)
            return Served(q, card.version, status), None
        return None, "reviews" if choice.review_cap_reached else "new" if choice.new_cap_reached else None

    async def _serve_card(
        self, repo: Repository, view: View, card: CardRecord, today: date, new_number: int | None = None,
        new_limit: int | None = None,
    ) -> Served:  # fmt: skip
        """Serve an existing card: a due review (or, before a goal date, an early one), or
        (`new_number` of `new_limit`) a new question seen before."""
        q = view.get(card.question_id)
        assert q is not None
        await repo.mark_shown(card.id, today)
        skipped = agenda.skipped(card, today)
        if new_number is not None:
            status = replies.new_status(new_number, new_limit or self.config.daily_new_cap, seen_before=True, skipped=skipped)
        elif card.due > today:
            status = "Review · before your goal date"
        else:
            status = replies.review_status((today - card.due).days, skipped=skipped)
        return Served(q, card.version, status)

    async def daily_question(
        self, repo: Repository, learner_id: int, categories: Sequence[str], tenant: str | None, *, chosen: str | None
    ) -> tuple[Question, Reply] | None:
        """A learner's daily push, in the caller's transaction: what the study plan serves next (a due
        card, else a new question from their categories; same rules and limits as asking). `chosen`: the question an
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
        async with self.store.transaction() as repo:
            q = self._question(await self.catalog.view(repo, tenant), action.question_id)
            return await self._reveal(repo, await self.learner(repo, who), q, action.version)

    async def submit_answer(self, who: LearnerRef, key: str, text: str, tenant: str | None = None) -> Reply:
        """Keep the learner's written answer for their grade, then show the key points to compare:
        marked covered (with the words that show it) or missed, and a suggested grade, when the
        feedback engine could read it in time."""
        action = ActionKey.parse(key)
        text = text.strip()
        if len(text) > MAX_ANSWER_CHARS:
            raise InvalidInput(f"Answers are limited to {MAX_ANSWER_CHARS} characters (yours has {len(text)}).")
        async with self.store.transaction() as repo:
            q = self._question(await self.catalog.view(repo, tenant), action.question_id)
        # Read off the event loop and outside any transaction: the engine may take up to its timeout.
        assessment = await self.feedback.assess(q, text) if text and self.feedback is not None else None
        async with self.store.transaction() as repo:
            learner = await self.learner(repo, who)
            if text:
                await self._keep_draft(repo, learner, q, action.version, text, assessment)
            reveal = await self._reveal(repo, learner, q, action.version)
        if assessment is None:
            return reveal
        explanation = await self.explainer.explain(q, text, assessment) if self.explainer is not None else None
        return feedback_replies.with_feedback(reveal, q, assessment, explanation)

    async def save_draft(self, who: LearnerRef, key: str, text: str, tenant: str | None = None) -> Reply:
        """Keep a half-written answer without revealing anything (the learner stopped writing); the
        grade stores it. Past the limit, the first MAX_ANSWER_CHARS characters are kept and the reply says so."""
        action = ActionKey.parse(key)
        text = text.strip()
        async with self.store.transaction() as repo:
            q = self._question(await self.catalog.view(repo, tenant), action.question_id)
            learner = await self.learner(repo, who)
            await self._keep_draft(repo, learner, q, action.version, text[:MAX_ANSWER_CHARS])
        return replies.draft_saved_reply(min(len(text), MAX_ANSWER_CHARS), len(text))

    async def draft(self, who: LearnerRef, question_id: str) -> str | None:
        """The answer the learner wrote for this question and has not graded yet, if any."""
        async with self.store.transaction() as repo:
            learner = await repo.learner(who.platform, who.user_id, who.workspace)
            card = await repo.card(learner.id, question_id) if learner is not None else None
        return card.draft_answer if card is not None else None

    @staticmethod
    async def _keep_draft(
        repo: Repository, learner: LearnerRecord, q: Question, version: int, text: str,
        assessment: Assessment | None = None,
    ) -> None:  # fmt: skip
        """Keep the draft with what the feedback engine made of it (its suggested grade, points covered)."""
        suggested = assessment.suggested_grade if assessment is not None else None
        covered = len(assessment.covered) if assessment is not None else None
        card = await repo.card(learner.id, q.id)
        if card is None or not await repo.save_draft(card.id, version, text, suggested, covered):
            raise StaleAction("this question was graded since; ask for it again to answer")

    async def grade(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        action = ActionKey.parse(key)
        if action.verb != "grade" or action.rating is None:
            raise StaleAction("that button is not a grade button")
        rating = Rating(action.rating)
        graded: Reply | None = None
        async with self.store.transaction() as repo:
            # The question may be gone from the bank since it was shown; the grade still counts.
            q = (await self.catalog.view(repo, tenant)).get(action.question_id)
            learner = await self.learner(repo, who)
            today = self.today(learner)
            idem_key = grade_key(learner.id, action.question_id, action.version)
            category = q.category if q else None
            card = await repo.card(learner.id, action.question_id)
            if card is None:
                raise StaleAction("this question was never shown to you")
            if card.version == action.version:
                scheduler = await self._scheduler(repo, learner.id)
                review = self._review(scheduler, card, rating, today, idem_key, tenant)
                if await repo.record_review(learner.id, card, review):
                    undo = undo_key(action.question_id, action.version + 1, review.reviewed_at)
                    graded = replies.graded_reply(q, rating, review.due, today, category=category, undo=undo)
                    graded = feedback_replies.with_note(graded, self._generous_note(q, card, rating))
                else:
                    card = await repo.card(learner.id, action.question_id)  # a concurrent click won the race
                    assert card is not None
            if graded is None:
                previous = await repo.review_by_key(idem_key)
                if previous is not None:
                    undo = undo_key(action.question_id, action.version + 1, previous.reviewed_at)
                    return replies.already_graded_reply(Rating(previous.rating), card.due, today, category, undo=undo)
                raise StaleAction("this card was graded again since these buttons were made")
        self.observer.review_recorded(who.platform)  # committed
        return graded

    async def skip(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        """Set a question aside for today without grading it: it uses no new-question slot, and is
        served again today only when nothing else is left. Skipping twice changes nothing more."""
        action = ActionKey.parse(key)
        if action.verb != "skip":
            raise StaleAction("that button is not a skip button")
        async with self.store.transaction() as repo:
            q = (await self.catalog.view(repo, tenant)).get(action.question_id)
            learner = await self.learner(repo, who)
            card = await repo.card(learner.id, action.question_id)
            if card is None:
                raise StaleAction("this question was never shown to you")
            if not await repo.bury(card.id, action.version, self.today(learner)):
                raise StaleAction("this question was graded since, so there is nothing to skip")
        return replies.skipped_reply(q, q.category if q else None)

    async def undo(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        """Take back the grade that moved a card to the key's version: within UNDO_MINUTES, and only
        while it is the learner's last grade. The card is restored exactly (schedule, version,
        counts, the written answer) and the review deleted; the reply offers the grade buttons again.
        An undo that cannot happen (too late, graded since, already undone) changes nothing and says why."""
        action = ActionKey.parse(key)
        if action.verb != "undo" or action.version < 1:
            raise StaleAction("that button is not an undo button")
        async with self.store.transaction() as repo:
            view = await self.catalog.view(repo, tenant)
            learner = await self.learner(repo, who)
            card = await repo.card(learner.id, action.question_id)
            if card is None:
                raise StaleAction("this question was never shown to you")
            last = await repo.last_review(learner.id)
            refused = self._undo_refusal(card, last, action)
            if refused is not None:
                return replies.undo_refused_reply(refused)
            assert last is not None
            rating = Rating(last.rating)
            if not await repo.undo_review(last, is_lapse(rating, last.before_last_review)):
                return replies.undo_refused_reply(replies.UNDO_ALREADY)  # a concurrent undo won
            q = view.get(action.question_id)
            revealed = await self._reveal(repo, learner, q, last.card_version) if q is not None else None
            return replies.undone_reply(revealed, rating)

    def _undo_refusal(self, card: CardRecord, last: LastReview | None, action: ActionKey) -> str | None:
        """Why the grade behind an undo key cannot be taken back now; None if it can."""
        version = action.version
        if card.version < version:
            return replies.UNDO_ALREADY
        if card.version > version or last is None or (last.card_id, last.card_version + 1) != (card.id, version):
            return replies.UNDO_GRADED_SINCE
        if action.ref is not None and action.ref != millis(last.reviewed_at):  # undone, then graded again
            return replies.UNDO_GRADED_SINCE
        if last.before_state is None or last.before_due is None:
            return replies.UNDO_UNAVAILABLE
        if self.clock.now() - last.reviewed_at > timedelta(minutes=UNDO_MINUTES):
            return replies.UNDO_TOO_LATE
        return None

    @staticmethod
    def _generous_note(q: Question | None, card: CardRecord, rating: Rating) -> str | None:
        """Said once, with the grade that earned it (a repeated click does not say it again)."""
        if q is None or card.draft_suggested_grade is None or card.draft_covered is None:
            return None
        return feedback_replies.generous_note(int(rating), card.draft_suggested_grade, card.draft_covered, len(q.key_points))

    def _review(
        self, scheduler: Scheduler, card: CardRecord, rating: Rating, today: date, idem_key: str, tenant: str | None,
        *, with_draft: bool = True,
    ) -> NewReview:  # fmt: skip
        """The review a grade of `card` (at its version) records: the scheduler's next state for it,
        with the written draft and what the feedback made of it (`with_draft`)."""
        outcome = scheduler.review(card_schedule(card), rating, today, seed=idem_key)
        after = outcome.schedule
        assert after.stability is not None and after.difficulty is not None
        return NewReview(
            rating=int(rating), reviewed_at=self.clock.now(), review_date=today,
            scheduled_days=outcome.scheduled_days, idempotency_key=idem_key,
            answer_text=card.draft_answer if with_draft else None,
            state=after.state, step=after.step, stability=after.stability, difficulty=after.difficulty,
            due=after.due, lapsed=is_lapse(rating, card.last_review), tenant=tenant,
            suggested_grade=card.draft_suggested_grade if with_draft else None,
            covered_points=card.draft_covered if with_draft else None,
        )  # fmt: skip

    async def record_grade(
        self, repo: Repository, learner: LearnerRecord, question_id: str, rating: Rating, *,
        idem_key: str, tenant: str | None,
    ) -> date:  # fmt: skip
        """A grade given outside the question flow (a mock interview's report), inside the caller's
        transaction: the question's card is created if it has none, then graded at its current version.
        The caller makes it happen once (the idempotency key is unique as well). Returns the next due day."""
        today = self.today(learner)
        for _ in range(3):  # a concurrent grade of the same card moves its version: read it again
            card = await repo.card(learner.id, question_id)
            if card is None:
                new = Schedule.new(today)
                await repo.add_card(learner.id, question_id, new.state, new.step, today)
                continue
            review = self._review(await self._scheduler(repo, learner.id), card, rating, today, idem_key, tenant,
                                  with_draft=False)  # fmt: skip
            if await repo.record_review(learner.id, card, review):
                return review.due
        raise StaleAction("this question's card kept changing; try again")

    async def adopt_timezone(self, who: LearnerRef, name: str) -> bool:
        """A surface's idea of the learner's zone (their Slack profile, the terminal machine's zone),
        stored only for a learner without a zone yet: it never replaces a stored one, least of all a
        zone the learner chose (possibly on another, linked, account). An unknown name is ignored:
        it is not the learner's input."""
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
