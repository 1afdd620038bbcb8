"""The shape of a mock interview round, and its report: pure functions, no I/O, no clock.

A round is a list of steps, each with a time box. System design walks the phases of a design
interview, scaled to 30, 45 or 60 minutes; databases and backend are one scenario answered in full;
behavioral is two or three stories. After the main answer, follow-up probes are chosen from the
question's follow-ups, aimed at the key points the answer missed (behavioral: one probe per story,
on its weakest STAR part). The report compares time against the boxes, lists covered and missed key
points with the learner's own words as evidence, and reads a level signal from the key points' levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.feedback import suggested_grade
from question_bank.schema import LEVELS, Question

SYSTEM_DESIGN_MINUTES = (30, 45, 60)
SCENARIO_MINUTES = 20
BEHAVIORAL_MINUTES = 30

# System design phases and their boxes in a 45-minute round (scaled for 30 and 60). The probes come
# after the deep dive and bottlenecks; wrap-up closes.
DESIGN_PHASES: tuple[tuple[str, str, int], ...] = (
    ("requirements", "Clarify requirements", 5),
    ("estimates", "Estimates (where they matter)", 3),
    ("api", "API and data model", 7),
    ("high_level", "High-level design", 10),
    ("deep_dive", "Deep dive", 8),
    ("tradeoffs", "Bottlenecks and trade-offs", 4),
)
DESIGN_PROBE_MINUTES = 2  # each probe, up to 3 of them, in a 45-minute round
DESIGN_WRAP_MINUTES = 2
PHASE_HELP = {
    "requirements": "Who uses it, what must it do, what must it not do; the non-functional targets (scale, latency, availability).",
    "estimates": "Back-of-the-envelope numbers that change the design: requests per second, storage, bandwidth.",
    "api": "The main endpoints or messages, and the entities and keys you will store.",
    "high_level": "The components and how a request flows through them.",
    "deep_dive": "Take the hardest part and go deep: data layout, consistency, failure handling.",
    "tradeoffs": "Where it breaks first under load or failure, and what you traded for what.",
    "answer": "Answer as you would out loud: the decisions, the reasons, the trade-offs.",
    "star": "Tell it as a story: situation, your task, what you did, the result (in numbers), what you learned.",
    "wrap": "Summarise your design in a few lines and name what you would do next with more time.",
}
STAR_ORDER = ("result", "action", "task", "situation", "reflection")  # which missing part to probe first
STAR_PROBES = {
    "situation": "Set the scene for me: what was the team, the system and the stakes?",
    "task": "What exactly was yours to own there, as opposed to the team's?",
    "action": "Walk me through what you personally did, step by step, and why that way.",
    "result": "What was the result, in numbers? What changed because of what you did?",
    "reflection": "Looking back, what would you do differently, and what do you do differently since?",
}
SCENARIO_ANSWER_MINUTES = 11
SCENARIO_PROBE_MINUTES = 3
STORY_MINUTES = 7
STORY_PROBE_MINUTES = 3
# A level is "shown" when the answer covered at least this share of the key points expected at it
# and below; the report names the highest level shown.
LEVEL_BAR = 0.6


@dataclass(frozen=True)
class StepPlan:
    kind: str  # phase | answer | probe | wrap
    name: str  # a phase slug, "answer", "star", a probe's "probe", "wrap"
    title: str
    box_seconds: int
    question_id: str
    follow_up: int | None = None  # index into the question's follow_ups, for a probe
    probe_text: str = ""  # what the interviewer asks, for a probe
    star_part: str = ""  # the STAR part a behavioral probe aims at


def plan_round(category: str, minutes: int, questions: Sequence[Question]) -> list[StepPlan]:
    """The steps before any probe: probes are added once the main answer is read (`choose_probes`)."""
    if category == "system_design":
        q = questions[0]
        scale = minutes / 45
        steps = [StepPlan("phase", slug, title, round(box * 60 * scale), q.id) for slug, title, box in DESIGN_PHASES]
        return steps
    if category == "behavioral":
        return [StepPlan("answer", "star", f"Story {i + 1}: {q.title}", STORY_MINUTES * 60, q.id) for i, q in enumerate(questions)]
    q = questions[0]
    return [StepPlan("answer", "answer", q.title, SCENARIO_ANSWER_MINUTES * 60, q.id)]


def behavioral_question_count(minutes: int) -> int:
    return 3 if minutes >= 30 else 2


def choose_probes(q: Question, missed: Sequence[int], *, most: int, least: int) -> list[int]:
    """Follow-ups (indices) aimed at the missed key points: those probing the most missed points
    first, never two on the same points; topped up with the others to reach `least`."""
    missed_set = set(missed)
    scored = sorted(
        range(len(q.follow_ups)),
        key=lambda i: (-len(missed_set & set(q.follow_ups[i].key_points)), i),
    )
    chosen: list[int] = []
    probed: set[int] = set()
    for i in scored:
        aims = missed_set & set(q.follow_ups[i].key_points)
        if aims and not aims <= probed and len(chosen) < most:
            chosen.append(i)
            probed |= aims
    for i in scored:
        if len(chosen) >= least:
            break
        if i not in chosen:
            chosen.append(i)
    return sorted(chosen[:most])


def design_probes(q: Question, missed: Sequence[int], minutes: int) -> list[StepPlan]:
    box = round(DESIGN_PROBE_MINUTES * 60 * minutes / 45)
    chosen = choose_probes(q, missed, most=3, least=1)
    return [
        StepPlan("probe", "probe", f"Follow-up {n}", box, q.id, follow_up=i, probe_text=q.follow_ups[i].question)
        for n, i in enumerate(chosen, 1)
    ] + [StepPlan("wrap", "wrap", "Wrap-up", round(DESIGN_WRAP_MINUTES * 60 * minutes / 45), q.id)]


def scenario_probes(q: Question, missed: Sequence[int]) -> list[StepPlan]:
    chosen = choose_probes(q, missed, most=3, least=2)
    return [
        StepPlan("probe", "probe", f"Follow-up {n}", SCENARIO_PROBE_MINUTES * 60, q.id, follow_up=i,
                 probe_text=q.follow_ups[i].question)
        for n, i in enumerate(chosen, 1)
    ]  # fmt: skip


def weakest_star_part(covered_parts: Sequence[str]) -> str:
    return next((p for p in STAR_ORDER if p not in covered_parts), "reflection")


def star_probe(q: Question, covered_parts: Sequence[str]) -> StepPlan:
    part = weakest_star_part(covered_parts)
    return StepPlan("probe", "probe", f"Follow-up on the {part}", STORY_PROBE_MINUTES * 60, q.id,
                    probe_text=STAR_PROBES[part], star_part=part)  # fmt: skip


# The report --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepTime:
    title: str
    box_seconds: int
    used_seconds: int
    skipped: bool  # never reached, or left with no notes

    @property
    def over_seconds(self) -> int:
        return max(0, self.used_seconds - self.box_seconds)


@dataclass(frozen=True)
class QuestionReport:
    question_id: str
    title: str
    covered: tuple[int, ...]
    missed: tuple[int, ...]
    evidence: dict[int, str]
    key_points: tuple[str, ...]
    levels: tuple[str, ...]
    probes_answered: int
    probes_asked: int
    recovered: tuple[int, ...]  # key points missed in the main answer but covered in a probe answer
    suggested_grade: int
    level_shown: str | None
    signals: dict[str, tuple[int, int]] = field(default_factory=dict)  # level -> (covered, expected)
    star_covered: tuple[str, ...] = ()


def level_signal(levels: Sequence[str], covered: Sequence[int]) -> tuple[str | None, dict[str, tuple[int, int]]]:
    """Per level: key points covered / expected at that level. A level is shown when the points up to
    and including it were covered at LEVEL_BAR or more, and at least half of its own were; the report
    names the highest level shown, climbing from junior."""
    signals: dict[str, tuple[int, int]] = {}
    for level in LEVELS:
        expected = [i for i, lv in enumerate(levels) if lv == level]
        if expected:
            signals[level] = (sum(1 for i in expected if i in covered), len(expected))
    shown = None
    got = want = 0
    for level, (own, expected) in signals.items():
        got, want = got + own, want + expected
        if got / want < LEVEL_BAR or own / expected < 0.5:
            break
        shown = level
    return shown, signals


@dataclass(frozen=True)
class Report:
    status: str  # finished | stopped | expired
    minutes: int
    total_seconds: int
    steps: tuple[StepTime, ...]
    questions: tuple[QuestionReport, ...]

    @property
    def over_seconds(self) -> int:
        return max(0, self.total_seconds - self.minutes * 60)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "minutes": self.minutes, "total_seconds": self.total_seconds,
            "steps": [s.__dict__ for s in self.steps],
            "questions": [
                {**q.__dict__, "evidence": {str(k): v for k, v in q.evidence.items()},
                 "signals": {k: list(v) for k, v in q.signals.items()}}
                for q in self.questions
            ],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        return cls(
            status=data["status"], minutes=data["minutes"], total_seconds=data["total_seconds"],
            steps=tuple(StepTime(**s) for s in data["steps"]),
            questions=tuple(
                QuestionReport(**{**q, "covered": tuple(q["covered"]), "missed": tuple(q["missed"]),
                                  "evidence": {int(k): v for k, v in q["evidence"].items()},
                                  "key_points": tuple(q["key_points"]), "levels": tuple(q["levels"]),
                                  "recovered": tuple(q["recovered"]), "star_covered": tuple(q["star_covered"]),
                                  "signals": {k: tuple(v) for k, v in q["signals"].items()}})
                for q in data["questions"]
            ),
        )  # fmt: skip


def question_report(
    q: Question,
    *,
    covered: Sequence[int],
    evidence: dict[int, str],
    probe_covered: Sequence[int],
    probes_asked: int,
    probes_answered: int,
    star_covered: Sequence[str] = (),
) -> QuestionReport:
    """One question's part of the report: the main answer's coverage, plus what probes recovered."""
    levels = tuple(kp.level or q.level for kp in q.key_points)
    recovered = tuple(sorted(set(probe_covered) - set(covered)))
    all_covered = sorted(set(covered) | set(recovered))
    shown, signals = level_signal(levels, all_covered)
    return QuestionReport(
        question_id=q.id, title=q.title, covered=tuple(sorted(covered)),
        missed=tuple(i for i in range(len(q.key_points)) if i not in all_covered),
        evidence=dict(evidence), key_points=tuple(q.key_point_texts), levels=levels,
        probes_answered=probes_answered, probes_asked=probes_asked, recovered=recovered,
        suggested_grade=suggested_grade(len(all_covered), len(q.key_points)),
        level_shown=shown, signals=signals, star_covered=tuple(star_covered),
    )  # fmt: skip
