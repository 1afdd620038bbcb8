"""Written-answer feedback: which key points an answer covered, with the words that show it. Offline.

Contract (stable; mock interviews build on it):

    engine = FeedbackEngine.load(bank.questions)      # once per process (bootstrap); ~ms per answer
    result = engine.assess(question, answer_text)      # pure, synchronous, deterministic
    result = await Feedback(engine).assess(question, answer_text)   # off the event loop, bounded;
                                                                     # None when it ran out of time

`Assessment` (frozen):
- `covered` / `missed`: 0-based indices into `question.key_points` (together: every index once).
- `evidence[i]`: for each covered i, a span copied verbatim from the answer (`span in answer`).
- `suggested_grade`: 1-4, the same scale as the self-grade buttons (1 Missed it ... 4 Could teach it).
- `reason`: one line for the learner ("4 of 6 key points: Solid").
- `flags`: why an answer could not be judged (FEW_WORDS, GIBBERISH, QUESTION_REPEATED,
  KEY_POINTS_REPEATED, KEYWORD_LIST, OTHER_QUESTION); a flagged answer covers nothing
  (OTHER_QUESTION is only raised when nothing matched, to say why).
- behavioral questions only: `star` (one StarPart per situation/task/action/result/reflection, with
  evidence) and `listen_for` / `listen_for_evidence` (indices into `question.listen_for`).
Per-key-point levels are the question's own (`question.key_points[i].level`): a caller wanting a
level signal reads the levels of `covered` and `missed` there. Choosing a follow-up: prefer
`question.follow_ups` whose `key_points` intersect `missed`.

Nothing here touches the network or a database; the optional model explanation lives in `llm`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial

import yaml

from bot.core.feedback import replies
from bot.core.feedback.engine import (
    GIBBERISH_SHARE,
    LEXICON_FILE,
    MIN_WORDS,
    REPEAT_SHARE,
    Answer,
    Lexicon,
    Matcher,
    copied_share,
    covers,
    keyword_list,
    load_phrasings,
)
from question_bank.schema import Question

FEW_WORDS = "few_words"
GIBBERISH = "gibberish"
QUESTION_REPEATED = "question_repeated"
KEY_POINTS_REPEATED = "key_points_repeated"
KEYWORD_LIST = "keyword_list"
OTHER_QUESTION = "other_question"
FLAGS = (FEW_WORDS, GIBBERISH, QUESTION_REPEATED, KEY_POINTS_REPEATED, KEYWORD_LIST, OTHER_QUESTION)
STAR_PARTS = ("situation", "task", "action", "result", "reflection")
# share of key points covered -> suggested grade: under 1/4 Missed it, under 1/2 Partial, under 5/6 Solid
GRADE_BOUNDS = ((0.25, 1), (0.5, 2), (0.83, 3))
DEFAULT_TIMEOUT = 2.0  # seconds; the platforms want a first answer within 3


@dataclass(frozen=True)
class StarPart:
    part: str  # situation | task | action | result | reflection
    covered: bool
    evidence: str = ""


@dataclass(frozen=True)
class Assessment:
    question_id: str
    total: int
    covered: tuple[int, ...]
    missed: tuple[int, ...]
    evidence: Mapping[int, str]
    suggested_grade: int
    reason: str
    flags: tuple[str, ...] = ()
    star: tuple[StarPart, ...] = ()
    listen_for: tuple[int, ...] = ()
    listen_for_evidence: Mapping[int, str] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return len(self.covered) / self.total if self.total else 0.0


def suggested_grade(covered: int, total: int) -> int:
    share = covered / total if total else 0.0
    return next((grade for bound, grade in GRADE_BOUNDS if share < bound), 4)


class FeedbackEngine:
    """The loaded matcher. Build it once per process; `assess` is then pure and thread-safe enough
    for one executor (its caches only ever grow by whole entries)."""

    def __init__(self, matcher: Matcher, star_cues: Mapping[str, list[re.Pattern[str]]]):
        self.matcher = matcher
        self.star_cues = star_cues

    @classmethod
    def load(cls, questions: Iterable[Question], phrasings: dict[str, dict[int, list[str]]] | None = None) -> FeedbackEngine:
        with LEXICON_FILE.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        lexicon = Lexicon(data)
        cues = {part: [re.compile(p) for p in data["star"][part]] for part in STAR_PARTS}
        return cls(Matcher(lexicon, questions, load_phrasings() if phrasings is None else phrasings), cues)

    def assess(self, q: Question, text: str) -> Assessment:
        prepared = self.matcher.prepare(q)
        answer = Answer(text, self.matcher.lexicon, prepared)
        flags = self._flags(q, answer)
        covered: dict[int, str] = {}
        listened: dict[int, str] = {}
        if not flags:
            covered = self._matches(prepared.points, answer)
            listened = self._matches(prepared.listen_for, answer)
            if not covered and self.matcher.other_question_fits_better(q, answer.content_terms):
                flags = (OTHER_QUESTION,)  # only explains why nothing matched; never hides a match
        total = len(q.key_points)
        grade = suggested_grade(len(covered), total)
        star = self._star(answer) if q.category == "behavioral" and not flags else ()
        return Assessment(
            question_id=q.id,
            total=total,
            covered=tuple(sorted(covered)),
            missed=tuple(i for i in range(total) if i not in covered),
            evidence=covered,
            suggested_grade=grade,
            reason=replies.reason(len(covered), total, grade, flags),
            flags=flags,
            star=star,
            listen_for=tuple(sorted(listened)),
            listen_for_evidence=listened,
        )

    @staticmethod
    def _matches(points, answer: Answer) -> dict[int, str]:
        found: dict[int, str] = {}
        for i, variants in enumerate(points):
            best = None
            for variant in variants:
                match = answer.best(variant)
                if covers(match, variant) and (best is None or match.share > best.share):
                    best = match
            if best is not None:
                found[i] = answer.quote(best)
        return found

    def _flags(self, q: Question, answer: Answer) -> tuple[str, ...]:
        tokens = answer.tokens
        if len(tokens) < MIN_WORDS:
            return (FEW_WORDS,)
        known = sum(1 for t, term in zip(tokens, answer.terms) if not t.term or term in self.matcher.known or t.raw.isdigit())
        if known / len(tokens) < GIBBERISH_SHARE:
            return (GIBBERISH,)
        terms = [t for t in answer.terms if t]
        prepared = answer.prepared
        if copied_share(terms, prepared.question_pairs) >= REPEAT_SHARE:
            return (QUESTION_REPEATED,)
        if copied_share(terms, prepared.point_pairs) >= REPEAT_SHARE:
            return (KEY_POINTS_REPEATED,)
        if keyword_list(answer.text, tokens):
            return (KEYWORD_LIST,)
        return ()

    def _star(self, answer: Answer) -> tuple[StarPart, ...]:
        sentences = [answer.text[answer.tokens[lo].start : answer.tokens[hi - 1].end] for lo, hi in answer.sentences]
        parts = []
        for part in STAR_PARTS:
            hit = next((s for s in sentences if any(c.search(s.lower()) for c in self.star_cues[part])), None)
            parts.append(StarPart(part, hit is not None, hit[:160].strip() if hit else ""))
        return tuple(parts)


class Feedback:
    """Runs the engine off the event loop, bounded in time."""

    def __init__(self, engine: FeedbackEngine, *, executor: Executor | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.engine = engine
        self.executor = executor
        self.timeout = timeout

    async def assess(self, q: Question, text: str) -> Assessment | None:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self.executor, partial(self.engine.assess, q, text)), self.timeout
            )
        except TimeoutError:
            return None
