"""The study plan, simulated: learners whose memory is NOT FSRS drive the real core for 90 days.

Memory model: half-life regression (Settles and Meeder 2016, "A Trainable Spaced Repetition Model
for Language Learning"): recall p = 2^(-t/h), half-life h = 2^(theta . x) days, with x the square
roots of 1 + correct and 1 + wrong attempts, plus a per-learner ability and a per-question
difficulty (theta = (0, 2.0, 0.5) here: with FSRS's default parameters a card comes back at a true
recall of about 0.75, not 0.90). Every attempt is an exposure (the learner sees the key points).
Self-grades are noisy: a recalled answer is graded Hard, Good or Easy (3% of them Again), a missed one
Again (10% of them Hard).

Our core is driven through its public use cases (next_question, grade, set_goal, Refits.run_due)
on a throwaway SQLite file with a fake clock, one simulated day at a time. Baselines get the same
learners and questions: a random question of the day, uniformly random review (half the views new,
half a random seen question) and Leitner boxes (intervals 1, 2, 4, 8, 16 days; up to 5 new a day).

Reported at the end (the morning after the last day): distinct questions seen; questions known at
>= 90% true recall; mean recall over a random 10-question interview (its expectation: the bank's
mean recall); for the goal, mean recall over the target set on the goal date; and calibration (the
FSRS-predicted recall against the true one when a card comes back), before and after fitting.
The fitting threshold is measured first, on the histories of learners scheduled with the defaults.
"""

from __future__ import annotations

import math
import random
import statistics
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bot.bootstrap import App, build
from bot.core.actions import ActionKey
from bot.core.plan import fitting
from bot.core.plan.plan import RefitConfig, Refits
from bot.core.plan.rules import card_schedule
from bot.core.practice import LearnerRef
from bot.core.scheduling import Rating, Schedule, Scheduler
from bot.settings import Settings
from question_bank.loader import load_bank
from question_bank.schema import Question
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.plan import HistoryRow

THETA = (0.0, 2.0, 0.5)  # bias, sqrt(1 + correct), sqrt(1 + wrong) (the last one lowers the half-life)
PRIOR_RECALL = 0.15  # the chance of answering a question never studied
START = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
KNOWN = 0.9
LEITNER_DAYS = (1, 2, 4, 8, 16)
NEW_PER_DAY = 5
THRESHOLDS = (50, 100, 200, 400, 600)
GOAL = ("backend", "mid")  # 58 questions of the shipped bank: the goal of about 60
GOAL_DAYS = 30


class Clock:
    def __init__(self) -> None:
        self.now_value = START

    def now(self) -> datetime:
        return self.now_value


# the simulated learner -------------------------------------------------------------------------
@dataclass
class Learner:
    """One simulated person: an ability, their memory of each question, a private random stream."""

    name: str
    ability: float
    difficulty: dict[str, float]
    rng: random.Random
    memory: dict[str, list[float]] = field(default_factory=dict)  # qid -> [last day, correct, wrong]

    def recall(self, qid: str, day: float) -> float:
        m = self.memory.get(qid)
        if m is None:
            return 0.0
        last, correct, wrong = m
        h = 2 ** (THETA[0] + self.ability - self.difficulty[qid] + THETA[1] * math.sqrt(1 + correct)
                  - THETA[2] * math.sqrt(1 + wrong))  # fmt: skip
        return 2 ** (-(day - last) / h)

    def attempt(self, qid: str, day: float) -> tuple[float, int]:
        """(true recall before the attempt, self-grade 1-4); the attempt is an exposure."""
        p = self.recall(qid, day) if qid in self.memory else PRIOR_RECALL
        recalled = self.rng.random() < p
        u = self.rng.random()
        if recalled:
            rating = 1 if u < 0.03 else 2 if u < 0.18 else 4 if u > 0.85 - 0.2 * (p > 0.9) else 3
        else:
            rating = 2 if u < 0.10 else 1
        m = self.memory.setdefault(qid, [day, 0, 0])
        m[0] = day
        m[1 if recalled else 2] += 1
        return p, rating


def learners(n: int, questions: Sequence[Question], seed: int) -> list[Learner]:
    rng = random.Random(seed)
    difficulty = {q.id: rng.gauss(0, 0.6) for q in questions}
    return [Learner(f"sim{i}", rng.gauss(0, 0.5), difficulty, random.Random(rng.random())) for i in range(n)]


# scenarios -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scenario:
    name: str
    days: int
    views: Callable[[random.Random, int], int]  # views on a day
    goal: bool = False
    key: str = ""  # for --rows


def steady(n: int) -> Callable[[random.Random, int], int]:
    return lambda rng, day: n


def skipper(rng: random.Random, day: int) -> int:
    """3 a day, skipping one day in five, and a 10-day break from day 40."""
    return 0 if 40 <= day < 50 or rng.random() < 0.2 else 3


def scenarios(days: int) -> list[Scenario]:
    return [
        Scenario("1 a day", days, steady(1), key="1"),
        Scenario("3 a day", days, steady(3), key="3"),
        Scenario("10 a day", days, steady(10), key="10"),
        Scenario("3 a day, skips + 10-day break", days, skipper, key="skips"),
        Scenario(f"goal: {GOAL[0]} up to {GOAL[1]} in {GOAL_DAYS} days, 3 a day", GOAL_DAYS, steady(3), goal=True,
                 key="goal"),
    ]


@dataclass
class Outcome:
    seen: list[int] = field(default_factory=list)
    known: list[int] = field(default_factory=list)
    interview: list[float] = field(default_factory=list)
    target: list[float] = field(default_factory=list)
    target_unseen: list[int] = field(default_factory=list)
    calibration: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    history: dict[str, list[tuple[str, int, int, float]]] = field(default_factory=dict)  # name -> (qid, day, rating, p)
    new_drought: list[int] = field(default_factory=list)  # longest run of practised days without a new question

    def finish(self, learner: Learner, bank: Sequence[Question], target: Sequence[Question], day: float) -> None:
        recalls = {q.id: learner.recall(q.id, day) for q in bank}
        self.seen.append(len(learner.memory))
        self.known.append(sum(r >= KNOWN for r in recalls.values()))
        self.interview.append(statistics.mean(recalls.values()))
        if target:
            self.target.append(statistics.mean(recalls[q.id] for q in target))
            self.target_unseen.append(sum(q.id not in learner.memory for q in target))


# baselines -------------------------------------------------------------------------------------
def run_baseline(kind: str, people: list[Learner], scenario: Scenario, deck: Sequence[Question],
                 bank: Sequence[Question], target: Sequence[Question]) -> Outcome:  # fmt: skip
    out = Outcome()
    for learner in people:
        rng = random.Random(zlib.crc32(f"{kind}:{learner.name}".encode()))
        days_rng = random.Random(learner.name)
        seen: list[str] = []
        box: dict[str, tuple[int, int]] = {}  # Leitner: qid -> (box, last day)
        order = [q.id for q in deck]
        rng.shuffle(order)
        fresh = iter(order)
        for day in range(scenario.days):
            new_today = 0
            for view in range(scenario.views(days_rng, day)):
                qid = _baseline_pick(kind, rng, deck, seen, box, fresh, day, view, new_today)
                if qid is None:
                    break
                if qid not in learner.memory:
                    new_today += 1
                    seen.append(qid)
                _, rating = learner.attempt(qid, day)
                if kind == "leitner":
                    b = box.get(qid, (0, day))[0]
                    box[qid] = (min(b + 1, len(LEITNER_DAYS) - 1) if rating >= 3 else 0, day)
        out.finish(learner, bank, target, scenario.days)
    return out


def _baseline_pick(kind, rng, deck, seen, box, fresh, day, view, new_today) -> str | None:  # noqa: ANN001
    if kind == "random question of the day":
        return rng.choice(deck).id
    if kind == "uniform random review":
        if not seen or view % 2 == 0:
            return next(fresh, None) or (rng.choice(seen) if seen else None)
        return rng.choice(seen)
    due = [(b, last, qid) for qid, (b, last) in box.items() if day - last >= LEITNER_DAYS[b] and last < day]
    if due:
        return min(due)[2]
    return next(fresh, None) if new_today < NEW_PER_DAY else None


# our core --------------------------------------------------------------------------------------
async def run_core(people: list[Learner], scenario: Scenario, bank_questions: Sequence[Question],
                   target: Sequence[Question], *, fit_threshold: int | None, workdir: Path,
                   **settings: object) -> Outcome:  # fmt: skip
    """The real application on a fresh SQLite file; `fit_threshold` None: FSRS defaults throughout;
    `settings`: Settings fields to change (e.g. DESIRED_RETENTION)."""
    clock = Clock()
    engine = engine_for_tests(f"sqlite+aiosqlite:///{workdir / f'{len(list(workdir.iterdir()))}.db'}")
    await upgrade(engine)
    app = build(Settings(_env_file=None, FSRS_FUZZ=False, DAILY_NEW_CAP=NEW_PER_DAY, **settings), engine=engine, clock=clock)
    refits = None
    if fit_threshold is not None:
        refits = Refits(app.practice, RefitConfig(worker_id="bench", min_reviews=fit_threshold, batch=50))
    out = Outcome()
    whos = {p.name: LearnerRef("console", p.name) for p in people}
    days_rngs = {p.name: random.Random(p.name) for p in people}
    last_new: dict[str, int] = {}
    practised_since_new: dict[str, int] = defaultdict(int)
    if scenario.goal:
        goal_day = (START + timedelta(days=scenario.days)).date().isoformat()
        for p in people:
            await app.plan.set_goal(whos[p.name], goal_day, [GOAL[0]], GOAL[1])
    try:
        for day in range(scenario.days):
            clock.now_value = START + timedelta(days=day)
            for p in people:
                views = scenario.views(days_rngs[p.name], day)
                new_today = False
                for _ in range(views):
                    served = await _view(app, p, whos[p.name], day, out)
                    if served is None:
                        break
                    new_today = new_today or served
                if views:
                    practised_since_new[p.name] = 0 if new_today else practised_since_new[p.name] + 1
                    last_new[p.name] = max(last_new.get(p.name, 0), practised_since_new[p.name])
            if refits is not None:
                while (await refits.run_due()).get("fitted"):
                    pass
        for p in people:
            out.finish(p, bank_questions, target, scenario.days)
            out.new_drought.append(last_new.get(p.name, 0))
    finally:
        await engine.dispose()
    return out


async def _view(app: App, p: Learner, who: LearnerRef, day: int, out: Outcome) -> bool | None:
    """One view: ask, attempt, grade. True: it was a new question; None: nothing to serve."""
    reply = await app.practice.next_question(who)
    if reply.kind != "question":
        return None
    reveal = next(ActionKey.parse(a.key) for a in reply.actions if a.key.startswith("reveal:"))
    qid = reveal.question_id
    new = qid not in p.memory
    if not new:  # calibration: what the learner's scheduler predicts, against the truth
        async with app.practice.store.transaction() as repo:
            learner = await app.practice.learner(repo, who)
            card = await repo.card(learner.id, qid)
            plan = await repo.study_plan(learner.id)
            scheduler = app.practice.planner.scheduler(plan)
        if card is not None and card.last_review is not None:
            predicted = scheduler.retrievability(card_schedule(card), app.practice.today(learner))
            fitted = "after" if plan is not None and plan.fsrs_version > 0 else "before"
            out.calibration[fitted].append((predicted, p.recall(qid, day)))
    truth, rating = p.attempt(qid, day)
    out.history.setdefault(p.name, []).append((qid, day, rating, truth))
    await app.practice.grade(who, ActionKey("grade", qid, reveal.version, rating).encode())
    return new


# calibration and the fitting threshold -------------------------------------------------------------
def calibration_error(pairs: Sequence[tuple[float, float]], bins: int = 10) -> float | None:
    """Expected calibration error: |mean predicted - mean true| per bin of predicted recall, weighted."""
    if not pairs:
        return None
    grouped: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for predicted, true in pairs:
        grouped[min(int(predicted * bins), bins - 1)].append((predicted, true))
    return sum(
        len(g) * abs(statistics.mean(x for x, _ in g) - statistics.mean(y for _, y in g)) for g in grouped.values()
    ) / len(pairs)


def predictions(history: Sequence[tuple[str, int, int, float]], scheduler: Scheduler, first: int) -> list[tuple[float, float]]:
    """(predicted, true) for the reviews from index `first` on, each card's state replayed from its own reviews."""
    states: dict[str, Schedule] = {}
    out = []
    base = START.date()
    for index, (qid, day, rating, truth) in enumerate(history):
        on = base + timedelta(days=day)
        state = states.get(qid)
        if state is not None and index >= first:
            out.append((scheduler.retrievability(state, on), truth))
        states[qid] = scheduler.review(state or Schedule.new(on), Rating(rating), on).schedule
    return out


def fit_prefix(history: Sequence[tuple[str, int, int, float]], n: int) -> list[float] | None:
    ids: dict[str, int] = {}
    rows = [HistoryRow(ids.setdefault(qid, len(ids)), rating, START.date() + timedelta(days=day))
            for qid, day, rating, _ in history[:n]]  # fmt: skip
    rows.sort(key=lambda r: (r.card_id, r.review_date))
    return fitting.fit(rows)


def threshold_table(histories: dict[str, list[tuple[str, int, int, float]]]) -> tuple[list[list[str]], int | None]:
    """For each threshold N: fit on a learner's first N reviews, predict their later ones; against
    the defaults on the same reviews. The threshold: the smallest N from which the fit is better."""
    defaults = Scheduler(fuzz=False)
    rows, better = [], []
    for n in THRESHOLDS:
        fitted_pairs, default_pairs, people = [], [], 0
        for history in histories.values():
            if len(history) < n + 50:
                continue
            params = fit_prefix(history, n)
            if params is None:
                continue
            people += 1
            fitted_pairs += predictions(history, Scheduler(fuzz=False, parameters=params), n)
            default_pairs += predictions(history, defaults, n)
        if not people:
            continue
        fe, de = calibration_error(fitted_pairs), calibration_error(default_pairs)
        assert fe is not None and de is not None
        better.append((n, fe < de))
        rows.append([str(n), str(people), str(len(fitted_pairs)), f"{de:.3f}", f"{fe:.3f}"])
    # The best FSRS can do on these learners: fitted on all their reviews, judged on the same ones
    # (in-sample). What stays is the distance between FSRS's forgetting curve and this memory model.
    fitted_pairs, default_pairs = [], []
    for history in histories.values():
        params = fit_prefix(history, len(history))
        if params is not None:
            fitted_pairs += predictions(history, Scheduler(fuzz=False, parameters=params), 0)
            default_pairs += predictions(history, defaults, 0)
    fe, de = calibration_error(fitted_pairs), calibration_error(default_pairs)
    if fe is not None and de is not None:
        rows.append(["all (in-sample)", str(len(histories)), str(len(fitted_pairs)), f"{de:.3f}", f"{fe:.3f}"])
    # The threshold: the smallest N from which the fit is better at every N measured.
    chosen = None
    for n, ok in reversed(better):
        if not ok:
            break
        chosen = n
    return rows, chosen


# the run ---------------------------------------------------------------------------------------
def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def summary(name: str, o: Outcome, goal: bool) -> list[str]:
    def mean(xs: Sequence[float]) -> str:
        return f"{statistics.mean(xs):.3f}" if xs else "-"

    before = calibration_error(o.calibration.get("before", []))
    after = calibration_error(o.calibration.get("after", []))
    return [
        name, f"{statistics.mean(o.seen):.1f}", f"{statistics.mean(o.known):.1f}", mean(o.interview),
        mean(o.target) if goal else "-", f"{max(o.target_unseen)}" if goal and o.target_unseen else "-",
        f"{before:.3f}" if before is not None else "-", f"{after:.3f}" if after is not None else "-",
        f"{max(o.new_drought)}" if o.new_drought else "-",
    ]  # fmt: skip


async def run(n_learners: int, days: int, seed: int, rows_wanted: Sequence[str] = ()) -> None:
    """`rows_wanted`: the keys of the scenarios to simulate (default: all, after the fitting threshold is measured;
    with a selection the threshold table is skipped and fitting starts at Settings' FIT_MIN_REVIEWS)."""
    started = time.perf_counter()
    bank = load_bank(None).questions
    target = [q for q in bank if q.category == GOAL[0] and q.level in ("junior", "mid")]
    people_seed = seed
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        default_runs: dict[str, Outcome] = {}
        if rows_wanted:
            threshold = Settings(_env_file=None).fit_min_reviews
        else:
            # 1. The fitting threshold, from learners scheduled with FSRS's defaults at 10 and 3 a day.
            histories: dict[str, list] = {}
            for views in (10, 3):
                sc = Scenario(f"{views} a day", days, steady(views))
                people = learners(n_learners, bank, people_seed)
                default_runs[sc.name] = await run_core(people, sc, bank, [], fit_threshold=None, workdir=work)
                histories.update({f"{views}:{k}": v for k, v in default_runs[sc.name].history.items()})
            threshold_rows, measured = threshold_table(histories)
            threshold = measured or THRESHOLDS[-1]
            print(f"Fitting threshold: fit on a learner's first N reviews, calibration error on their later ones "
                  f"({n_learners} learners x 10 and 3 a day, {days} days, FSRS defaults scheduling)\n")  # fmt: skip
            print(table(["N reviews", "learners", "later reviews", "ECE defaults", "ECE fitted"], threshold_rows))
            print(f"\nthreshold: {measured if measured is not None else 'none within ' + str(THRESHOLDS)}\n")

        # 2. Every scenario: ours (fitting from the threshold) against the baselines.
        header = ["scenario / strategy", "distinct seen", "known >= 90%", "interview recall", "target recall",
                  "target unseen (max)", "calib. before fit", "calib. after fit", "longest run w/o new"]  # fmt: skip
        rows = []
        results: dict[tuple[str, str], Outcome] = {}
        for sc in scenarios(days):
            if rows_wanted and sc.key not in rows_wanted:
                continue
            goal_target = target if sc.goal else []
            deck = target if sc.goal else bank
            people = learners(n_learners, bank, people_seed)
            ours = await run_core(people, sc, bank, goal_target, fit_threshold=threshold, workdir=work)
            results[(sc.name, "ours")] = ours
            rows.append(summary(f"**{sc.name}** · ours (fit from {threshold})", ours, sc.goal))
            if sc.name in default_runs:
                rows.append(summary(f"{sc.name} · ours, FSRS defaults", default_runs[sc.name], sc.goal))
            for kind in ("random question of the day", "uniform random review", "leitner"):
                people = learners(n_learners, bank, people_seed)
                results[(sc.name, kind)] = o = run_baseline(kind, people, sc, deck, bank, goal_target)
                rows.append(summary(f"{sc.name} · {kind}", o, sc.goal))
        print(f"Simulation: {n_learners} learners per row, {days} days (goal: {GOAL_DAYS}), seed {seed}\n")
        print(table(header, rows))
        print()
        for line in targets(results, days):
            print(line)
    print(f"\nwall time: {time.perf_counter() - started:.0f} s, CPU time of this process: {time.process_time():.0f} s")


def targets(results: dict[tuple[str, str], Outcome], days: int) -> list[str]:
    """The issue's targets, for the scenarios that were run."""

    def m(scenario: str, who: str, what: str) -> float:
        return statistics.mean(getattr(results[(scenario, who)], what))

    lines = []
    if ("1 a day", "ours") in results:
        lines.append(
            f"- 1 a day: distinct seen {m('1 a day', 'ours', 'seen'):.1f} (target >= 30); known "
            f"{m('1 a day', 'ours', 'known'):.1f} vs half of Leitner's {m('1 a day', 'leitner', 'known') / 2:.1f}"
        )
    for sc in ("3 a day", "10 a day"):
        if (sc, "ours") in results:
            lines.append(
                f"- {sc}: known {m(sc, 'ours', 'known'):.1f} vs Leitner {m(sc, 'leitner', 'known'):.1f}; interview "
                f"{m(sc, 'ours', 'interview'):.3f} vs random QOTD "
                f"{m(sc, 'random question of the day', 'interview'):.3f}"
            )
    goal = next((name for name, _ in results if name.startswith("goal")), None)
    if goal is not None:
        lines.append(
            f"- goal: target unseen at the date (max over learners) {max(results[(goal, 'ours')].target_unseen)} "
            f"(target 0); target recall {m(goal, 'ours', 'target'):.3f} vs random QOTD "
            f"{m(goal, 'random question of the day', 'target'):.3f}, "
            f"uniform {m(goal, 'uniform random review', 'target'):.3f}, "
            f"Leitner {m(goal, 'leitner', 'target'):.3f}"
        )
    after = [pair for (sc, who), o in results.items() if who == "ours" for pair in o.calibration.get("after", [])]
    err = calibration_error(after)
    lines.append(f"- calibration after fitting (these scenarios, ours): {err:.3f} (target <= 0.05)" if err is not None
                 else "- calibration after fitting: no learner reached the threshold")  # fmt: skip
    return lines
