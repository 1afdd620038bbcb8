"""Mock interviews: a timed round with phases, follow-up probes on what the answer missed, a report
tied to a level, and grades the learner confirms from it.

Entry point: `Mocks` (built once in bootstrap). Everything lives in the database (the round, every
note, deadlines, nudges sent), so a restart or a second process loses and repeats nothing:
- learner actions carry the mock id and the step they were made for (`mnote|mdone|mstop:<mock>:<step>`);
  a stale or repeated one changes nothing and says so;
- time-up nudges and the idle close are sent by the push worker (`wake`), which claims each mock with
  a lease like a daily push, so exactly one process acts on it;
- a grade confirmed from the report (`mgrade:<mock>:<question index>:<rating>`) is recorded as a review
  exactly once per question of the mock.
The round's shape and the report are pure functions in `rounds`; user-visible text is in `replies`.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.actions import ActionKey
from bot.core.errors import InvalidInput, StaleAction
from bot.core.feedback import Assessment, Feedback
from bot.core.mock import replies, rounds
from bot.core.ports import DeliveryFailed, Destination, Messenger
from bot.core.practice import MAX_ANSWER_CHARS, LearnerRef, Practice
from bot.core.replies import Reply
from bot.core.scheduling import Rating
from question_bank.schema import CATEGORIES, LEVELS, Question
from storage.mocks import MockRecord, NewStep, StepRecord
from storage.repositories import LearnerRecord, Repository

IDLE_CLOSE = timedelta(minutes=10)  # idle this long after its length, a mock closes with a partial report
MAX_STEP_CHARS = 12_000  # notes kept per step
HISTORY = 10
DEFAULT_LEVELS = ("mid", "senior", "junior", "staff")


@dataclass(frozen=True)
class Where:
    """Where a mock's nudges go: the console shows them itself; Discord and Slack get a message."""

    platform: str = "console"
    recipient: str | None = None  # the platform user id
    channel_id: str | None = None  # the DM channel or private thread


def _ends_at(mock: MockRecord) -> datetime:
    return mock.started_at + timedelta(minutes=mock.minutes)


def _deadline(step: StepRecord) -> datetime | None:
    return step.started_at + timedelta(seconds=step.box_seconds) if step.started_at else None


def _wake_at(mock: MockRecord, step: StepRecord, last_activity: datetime) -> datetime:
    """The next time the worker must look: the step's time-up (if not yet said), else the idle close."""
    close = max(_ends_at(mock), last_activity) + IDLE_CLOSE
    deadline = _deadline(step)
    if mock.platform != "console" and mock.nudged_step < step.position and deadline is not None:
        return min(deadline, close)
    return close


class Mocks:
    def __init__(self, practice: Practice, feedback: Feedback | None):
        self.practice = practice
        self.feedback = feedback

    @property
    def clock(self):  # noqa: ANN201 - the practice's clock
        return self.practice.clock

    # starting ------------------------------------------------------------------------------------
    async def start(
        self, who: LearnerRef, category: str, *, minutes: int | None = None, level: str | None = None,
        tenant: str | None = None, where: Where = Where(),
    ) -> Reply:  # fmt: skip
        minutes = self._check(category, minutes, level)
        now = self.clock.now()
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            running = await self._active(repo, learner, tenant)
            if running is not None:
                mock, steps = running
                return replies.step_reply(mock, steps, await self._questions(repo, tenant, steps), now,
                                          notice=replies.ALREADY_RUNNING)  # fmt: skip
            view = await self.practice.catalog.view(repo, tenant)
            count = rounds.behavioral_question_count(minutes) if category == "behavioral" else 1
            seen = set(await repo.question_ids(learner.id))
            past = await repo.mock_count(learner.id)
            questions: list[Question] = []
            for level in (level,) if level else DEFAULT_LEVELS:  # no level chosen: mid, else the nearest
                questions = self._pick(view.questions, category, level, count, seen, salt=learner.id * 7919 + past)
                if len(questions) == count:
                    break
            if len(questions) < count:
                raise InvalidInput(replies.no_questions(category, level))
            steps = self._plan(category, minutes, questions)
            mock_id = await repo.create_mock(
                learner_id=learner.id, tenant=tenant, platform=where.platform, recipient=where.recipient,
                channel_id=where.channel_id, category=category, level=level, minutes=minutes, status="active",
                current_step=0, version=0, started_at=now, last_activity_at=now, nudged_step=-1,
            )  # fmt: skip
            await repo.add_steps(mock_id, steps)
            mock, stored = await self._load(repo, mock_id)
            await repo.update_step(stored[0].id, started_at=now)
            mock, stored = await self._load(repo, mock_id)
            await repo.update_mock(mock.id, mock.version, wake_at=_wake_at(mock, stored[0], now))
            mock, stored = await self._load(repo, mock_id)
            return replies.step_reply(mock, stored, {q.id: q for q in questions}, now)

    @staticmethod
    def _check(category: str, minutes: int | None, level: str | None) -> int:
        if category not in CATEGORIES:
            raise InvalidInput(replies.UNKNOWN_CATEGORY)
        if level is not None and level not in LEVELS:
            raise InvalidInput(replies.UNKNOWN_LEVEL)
        if category == "system_design":
            minutes = minutes or 45
            if minutes not in rounds.SYSTEM_DESIGN_MINUTES:
                raise InvalidInput(replies.DESIGN_LENGTHS)
            return minutes
        fixed = rounds.BEHAVIORAL_MINUTES if category == "behavioral" else rounds.SCENARIO_MINUTES
        if minutes not in (None, fixed):
            raise InvalidInput(replies.fixed_length(category, fixed))
        return fixed

    @staticmethod
    def _pick(
        questions: tuple[Question, ...], category: str, level: str, count: int, seen: set[str], *, salt: int
    ) -> list[Question]:
        """Questions of the category at the level (system design: a full design prompt), unseen ones
        first, in an order that differs per learner and per mock."""
        fits = [q for q in questions if q.category == category and q.level == level]
        if category == "system_design":
            fits = [q for q in fits if q.time_box_minutes >= 25] or fits
        fits.sort(key=lambda q: (q.id in seen, zlib.crc32(f"{salt}:{q.id}".encode())))
        return fits[:count]

    @staticmethod
    def _plan(category: str, minutes: int, questions: list[Question]) -> list[NewStep]:
        plans = rounds.plan_round(category, minutes, questions)
        steps: list[NewStep] = []
        for plan in plans:
            steps.append(NewStep(len(steps), plan.kind, plan.name, plan.title, plan.question_id, plan.box_seconds))
            if category == "behavioral":  # its probe is chosen when the story is told
                steps.append(NewStep(len(steps), "probe", "probe", "Follow-up", plan.question_id,
                                     rounds.STORY_PROBE_MINUTES * 60))  # fmt: skip
        return steps

    # the learner's actions -----------------------------------------------------------------------
    async def current(self, who: LearnerRef, tenant: str | None = None) -> Reply:
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            closed = await self._close_if_idle(repo, learner)
            mock = await repo.active_mock(learner.id) if closed is None else None
            if mock is None:
                return closed or replies.NO_MOCK
            steps = await repo.mock_steps(mock.id)
            return replies.step_reply(mock, steps, await self._questions(repo, tenant, steps), self.clock.now())

    async def add_notes(self, who: LearnerRef, key: str, text: str, tenant: str | None = None) -> Reply:
        text = text.strip()
        if len(text) > MAX_ANSWER_CHARS:
            raise InvalidInput(replies.notes_too_long(len(text), MAX_ANSWER_CHARS))
        now = self.clock.now()
        async with self.practice.store.transaction() as repo:
            mock, steps = await self._acted_on(repo, who, key, "mnote", tenant, text=text)
            step = steps[mock.current_step]
            if text:
                notes = f"{step.notes}\n\n{text}".strip() if step.notes else text
                if len(notes) > MAX_STEP_CHARS:
                    raise InvalidInput(replies.step_full(MAX_STEP_CHARS))
                await repo.update_step(step.id, notes=notes)
            await self._touch(repo, mock, steps, now)
            mock, steps = await self._load(repo, mock.id)
            return replies.step_reply(mock, steps, await self._questions(repo, tenant, steps), now,
                                      notice=replies.NOTED if text else "")  # fmt: skip

    async def done(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        """The learner is done with this step: probes are chosen once the main answer is in; after the
        last step, the report."""
        now = self.clock.now()
        async with self.practice.store.transaction() as repo:
            mock, steps = await self._acted_on(repo, who, key, "mdone", tenant)
            questions = await self._questions(repo, tenant, steps)
            step = steps[mock.current_step]
            await repo.update_step(step.id, ended_at=now)
            if self._ends_main_answer(mock, steps, step):
                await self._add_probes(repo, mock, steps, step, questions)
            steps = await repo.mock_steps(mock.id)
            following = mock.current_step + 1
            if following >= len(steps):
                return await self._finish(repo, mock, steps, questions, "finished", now)
            await repo.update_step(steps[following].id, started_at=now)
            steps = await repo.mock_steps(mock.id)
            moved = replace(mock, current_step=following)
            if not await repo.update_mock(mock.id, mock.version, current_step=following, last_activity_at=now,
                                          wake_at=_wake_at(moved, steps[following], now)):  # fmt: skip
                raise StaleAction(replies.MOVED_ON)
            mock, steps = await self._load(repo, mock.id)
            return replies.step_reply(mock, steps, questions, now)

    async def stop(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        now = self.clock.now()
        async with self.practice.store.transaction() as repo:
            mock, steps = await self._acted_on(repo, who, key, "mstop", tenant, any_step=True)
            questions = await self._questions(repo, tenant, steps)
            if steps[mock.current_step].started_at is not None:
                await repo.update_step(steps[mock.current_step].id, ended_at=now)
            steps = await repo.mock_steps(mock.id)
            return await self._finish(repo, mock, steps, questions, "stopped", now)

    async def confirm(self, who: LearnerRef, key: str, tenant: str | None = None) -> Reply:
        """Record the grade the learner chose for one question of a finished mock, exactly once."""
        action = ActionKey.parse(key)
        if action.verb != "mgrade" or action.rating is None or not action.question_id.isdigit():
            raise StaleAction(replies.NOT_OURS)
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            mock = await repo.mock(int(action.question_id))
            if mock is None or mock.learner_id != learner.id or mock.report is None:
                raise StaleAction(replies.NOT_YOURS)
            report = rounds.Report.from_json(mock.report)
            if not 0 <= action.version < len(report.questions):
                raise StaleAction(replies.NOT_OURS)
            graded = report.questions[action.version]
            rating = Rating(action.rating)
            if not await repo.confirm_mock_grade(mock.id, graded.question_id, int(rating), self.clock.now()):
                earlier = (await repo.mock_grades(mock.id))[graded.question_id]
                return replies.already_confirmed(graded.title, Rating(earlier))
            due = await self.practice.record_grade(
                repo, learner, graded.question_id, rating, idem_key=f"mock:{mock.id}:{graded.question_id}",
                tenant=mock.tenant,
            )  # fmt: skip
            reply = replies.confirmed(graded.title, rating, due, self.practice.today(learner))
        self.practice.observer.review_recorded(who.platform)  # committed
        return reply

    async def history(self, who: LearnerRef) -> Reply:
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            await self._close_if_idle(repo, learner)
            past = await repo.mock_history(learner.id, HISTORY)
        return replies.history_reply([(m, rounds.Report.from_json(m.report)) for m in past if m.report])

    async def report(self, who: LearnerRef, mock_id: int) -> Reply:
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            mock = await repo.mock(mock_id)
            if mock is None or mock.learner_id != learner.id or mock.report is None:
                raise StaleAction(replies.NOT_YOURS)
            grades = await repo.mock_grades(mock.id)
        return replies.report_reply(mock, rounds.Report.from_json(mock.report), grades)

    # the worker: time-up nudges and the idle close -------------------------------------------------
    async def wake(
        self, messengers: dict[str, Messenger], *, worker: str, lease: timedelta, limit: int = 50
    ) -> Counter[str]:
        """Act on every mock whose wake time has come: say a step's time is up (once per step), or
        close a mock left idle past its length and send its partial report."""
        now = self.clock.now()
        counts: Counter[str] = Counter()
        async with self.practice.store.transaction() as repo:
            claimed = await repo.claim_mock_wakeups(now, sorted(messengers), worker, now + lease, limit)
        for mock in claimed:
            counts[await self._wake_one(mock, messengers[mock.platform], worker, now)] += 1
        return counts

    async def next_wake(self, platforms: list[str]) -> datetime | None:
        async with self.practice.store.transaction() as repo:
            return await repo.next_mock_wake(platforms)

    async def _wake_one(self, mock: MockRecord, messenger: Messenger, worker: str, now: datetime) -> str:
        async with self.practice.store.transaction() as repo:
            steps = await repo.mock_steps(mock.id)
            step = steps[mock.current_step]
            deadline = _deadline(step)
            idle = now >= max(_ends_at(mock), mock.last_activity_at) + IDLE_CLOSE
            outcome = "closed" if idle else "nudged"
            try:
                if idle:
                    questions = await self._questions(repo, mock.tenant, steps)
                    reply = await self._finish(repo, mock, steps, questions, "expired", now)
                    key = f"mock:{mock.id}:closed"
                elif deadline is not None and now >= deadline and mock.nudged_step < step.position:
                    reply, key = replies.time_up(mock, steps, now), f"mock:{mock.id}:{step.position}"
                else:
                    raise StaleAction(replies.MOVED_ON)
            except StaleAction:  # the learner acted meanwhile: look again at the new wake time
                outcome = "early"
        if outcome == "early":
            await self._release(mock.id, worker, nudged=None)
            return outcome
        dest = Destination(mock.platform, "dm", mock.tenant, mock.recipient, mock.channel_id)
        try:
            await messenger.send(dest, reply, idempotency_key=key, maybe_sent=True)  # a takeover may resend
        except DeliveryFailed as failed:
            if not failed.permanent:
                return "retry"  # the claim stays until its lease ends; then it is tried again
            outcome = "failed"
        await self._release(mock.id, worker, nudged=None if idle else step.position)
        return outcome

    async def _release(self, mock_id: int, worker: str, *, nudged: int | None) -> None:
        """Give the claim back, recording the step nudged, with the wake time of the mock as it is now
        (the learner may have moved on meanwhile: their change wins, and this is read again)."""
        while True:
            async with self.practice.store.transaction() as repo:
                mock, steps = await self._load(repo, mock_id)
                values: dict[str, object] = {}
                if mock.status == "active":
                    said = max(mock.nudged_step, nudged if nudged is not None else -1)
                    now_mock = replace(mock, nudged_step=said)
                    values = {"nudged_step": said, "wake_at": _wake_at(now_mock, steps[mock.current_step], mock.last_activity_at)}
                if await repo.release_mock(mock_id, worker, mock.version, **values) or mock.claimed_by != worker:
                    return

    # helpers -------------------------------------------------------------------------------------
    async def _load(self, repo: Repository, mock_id: int) -> tuple[MockRecord, list[StepRecord]]:
        mock = await repo.mock(mock_id)
        assert mock is not None
        return mock, await repo.mock_steps(mock_id)

    async def _questions(self, repo: Repository, tenant: str | None, steps: list[StepRecord]) -> dict[str, Question]:
        view = await self.practice.catalog.view(repo, tenant)
        return {s.question_id: q for s in steps if (q := view.get(s.question_id)) is not None}

    async def _active(
        self, repo: Repository, learner: LearnerRecord, tenant: str | None
    ) -> tuple[MockRecord, list[StepRecord]] | None:
        await self._close_if_idle(repo, learner)
        mock = await repo.active_mock(learner.id)
        return None if mock is None else (mock, await repo.mock_steps(mock.id))

    async def _close_if_idle(self, repo: Repository, learner: LearnerRecord) -> Reply | None:
        """A mock left idle past its length closes itself (the worker does it for Discord and Slack;
        in the terminal, or if no worker runs, the next look at it does)."""
        mock = await repo.active_mock(learner.id)
        now = self.clock.now()
        if mock is None or now < max(_ends_at(mock), mock.last_activity_at) + IDLE_CLOSE:
            return None
        steps = await repo.mock_steps(mock.id)
        return await self._finish(repo, mock, steps, await self._questions(repo, mock.tenant, steps), "expired", now)

    async def _acted_on(
        self, repo: Repository, who: LearnerRef, key: str, verb: str, tenant: str | None, *,
        text: str = "", any_step: bool = False,
    ) -> tuple[MockRecord, list[StepRecord]]:  # fmt: skip
        """The mock a button or form was made for, if it is this learner's and still at that step."""
        action = ActionKey.parse(key)
        if action.verb != verb or not action.question_id.isdigit():
            raise StaleAction(replies.NOT_OURS)
        learner = await self.practice.learner(repo, who)
        await self._close_if_idle(repo, learner)
        mock = await repo.mock(int(action.question_id))
        if mock is None or mock.learner_id != learner.id:
            raise StaleAction(replies.NOT_YOURS)
        if mock.status != "active":
            raise StaleAction(replies.ended(text))
        if not any_step and action.version != mock.current_step:
            raise StaleAction(replies.moved_on(text))
        return mock, await repo.mock_steps(mock.id)

    async def _touch(self, repo: Repository, mock: MockRecord, steps: list[StepRecord], now: datetime) -> None:
        wake = _wake_at(mock, steps[mock.current_step], now)
        if not await repo.update_mock(mock.id, mock.version, last_activity_at=now, wake_at=wake):
            raise StaleAction(replies.MOVED_ON)

    @staticmethod
    def _ends_main_answer(mock: MockRecord, steps: list[StepRecord], step: StepRecord) -> bool:
        if mock.category == "behavioral":
            return step.kind == "answer"
        return step.kind in ("phase", "answer") and all(s.kind not in ("phase", "answer") for s in steps[step.position + 1 :])

    async def _assess(self, q: Question, text: str) -> Assessment | None:
        """What the answer covered; None when there is no text or no engine (the report then lists the
        key points without marks)."""
        return await self.feedback.assess(q, text) if text.strip() and self.feedback is not None else None

    async def _add_probes(
        self, repo: Repository, mock: MockRecord, steps: list[StepRecord], step: StepRecord, questions: dict[str, Question]
    ) -> None:
        q = questions.get(step.question_id)
        if q is None:
            return
        assessment = await self._assess(q, _main_text(steps, q.id))
        missed = assessment.missed if assessment else tuple(range(len(q.key_points)))
        if mock.category == "behavioral":
            covered = [p.part for p in assessment.star if p.covered] if assessment else []
            probe = rounds.star_probe(q, covered)
            await repo.update_step(steps[step.position + 1].id, title=probe.title, probe_text=probe.probe_text,
                                   star_part=probe.star_part)  # fmt: skip
            return
        plans = rounds.design_probes(q, missed, mock.minutes) if mock.category == "system_design" else rounds.scenario_probes(q, missed)
        await repo.add_steps(mock.id, [
            NewStep(len(steps) + i, p.kind, p.name, p.title, p.question_id, p.box_seconds, p.follow_up, p.probe_text)
            for i, p in enumerate(plans)
        ])  # fmt: skip

    async def _finish(
        self, repo: Repository, mock: MockRecord, steps: list[StepRecord], questions: dict[str, Question],
        status: str, now: datetime,
    ) -> Reply:  # fmt: skip
        report = await self._report(mock, steps, questions, status, now)
        if not await repo.update_mock(mock.id, mock.version, status=status, finished_at=now, wake_at=None,
                                      report=report.to_json()):  # fmt: skip
            raise StaleAction(replies.MOVED_ON)
        finished = replace(mock, status=status, finished_at=now)
        return replies.report_reply(finished, report, {})

    async def _report(
        self, mock: MockRecord, steps: list[StepRecord], questions: dict[str, Question], status: str, now: datetime
    ) -> rounds.Report:
        times = tuple(
            rounds.StepTime(
                s.title, s.box_seconds,
                int(((s.ended_at or now) - s.started_at).total_seconds()) if s.started_at else 0,
                skipped=s.started_at is None or not s.notes.strip(),
            )
            for s in steps
            if s.kind != "probe" or s.probe_text  # a behavioral probe never reached has no question yet
        )  # fmt: skip
        parts = []
        for qid in dict.fromkeys(s.question_id for s in steps):
            q = questions.get(qid)
            if q is None:
                continue
            main_text = _main_text(steps, qid)
            main = await self._assess(q, main_text)
            probes = [s for s in steps if s.question_id == qid and s.kind == "probe" and s.started_at is not None]
            wrap = [s for s in steps if s.question_id == qid and s.kind == "wrap"]
            answered = "\n\n".join(s.notes for s in (*probes, *wrap) if s.notes.strip())
            # Follow-up answers (and the wrap-up after them) are short and lean on the main answer:
            # judged together with it, and what they add counts as recovered after the main answer.
            later = await self._assess(q, f"{main_text}\n\n{answered}") if answered else None
            star = {p.part for a in (main, later) if a for p in a.star if p.covered}
            parts.append(
                rounds.question_report(
                    q, covered=main.covered if main else (),
                    evidence={**(dict(later.evidence) if later else {}), **(dict(main.evidence) if main else {})},
                    probe_covered=later.covered if later else (), probes_asked=len(probes),
                    probes_answered=sum(1 for s in probes if s.notes.strip()),
                    star_covered=[p for p in rounds.STAR_PROBES if p in star],
                )  # fmt: skip
            )
        total = int((now - mock.started_at).total_seconds())
        return rounds.Report(status, mock.minutes, total, times, tuple(parts))


def _main_text(steps: list[StepRecord], question_id: str) -> str:
    return "\n\n".join(s.notes for s in steps if s.question_id == question_id and s.kind in ("phase", "answer"))
