"""`python -m bot feedback --jsonl [--tenant T]`: written-answer feedback for scripts.

Each input line is a JSON object `{"question_id": ..., "answer": ...}`; each output line is the
assessment, `{"question_id", "covered", "missed", "suggested_grade", "evidence", "reason", "flags"}`
(plus `star` and `listen_for` for behavioral questions), or `{"question_id", "error"}` for a line that
cannot be assessed (unknown id, not JSON, an answer too long). Lines are answered in order, one each.
Shipped questions need no database; `--tenant` also serves that tenant's imported questions.
"""

from __future__ import annotations

import json
from typing import IO, Any

from bot.core.feedback import Assessment, Feedback, FeedbackEngine
from bot.core.practice import MAX_ANSWER_CHARS
from bot.settings import Settings
from question_bank.loader import load_bank

MAX_LINE_CHARS = 4 * MAX_ANSWER_CHARS  # a line past this is refused without being parsed


def result(a: Assessment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "question_id": a.question_id,
        "covered": list(a.covered),
        "missed": list(a.missed),
        "suggested_grade": a.suggested_grade,
        "evidence": {str(i): quote for i, quote in sorted(a.evidence.items())},
        "reason": a.reason,
        "flags": list(a.flags),
    }
    if a.star:
        out["star"] = {s.part: s.evidence if s.covered else None for s in a.star}
        out["listen_for"] = list(a.listen_for)
    return out


def error(question_id: Any, message: str) -> dict[str, Any]:
    return {"question_id": question_id if isinstance(question_id, str) else None, "error": message}


async def run_jsonl(settings: Settings, tenant: str | None, stdin: IO[str], stdout: IO[str]) -> int:
    bank = load_bank([settings.bank_dir] if settings.bank_dir else None)
    view = await _view(settings, bank, tenant)
    feedback = Feedback(FeedbackEngine.load(view.values()), timeout=settings.feedback_timeout)
    for number, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        stdout.write(json.dumps(await _one(feedback, view, number, line), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


async def _one(feedback: Feedback, view: dict, number: int, line: str) -> dict[str, Any]:
    if len(line) > MAX_LINE_CHARS:
        return error(None, f"line {number}: longer than {MAX_LINE_CHARS} characters")
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return error(None, f"line {number}: not JSON ({exc.msg})")
    if not isinstance(item, dict):
        return error(None, f'line {number}: expected an object {{"question_id": ..., "answer": ...}}')
    question_id, answer = item.get("question_id"), item.get("answer")
    q = view.get(question_id) if isinstance(question_id, str) else None
    if q is None:
        return error(question_id, f"unknown question id {question_id!r}")
    if not isinstance(answer, str):
        return error(question_id, "answer must be a string")
    if len(answer.strip()) > MAX_ANSWER_CHARS:
        return error(question_id, f"answer longer than {MAX_ANSWER_CHARS} characters")
    assessment = await feedback.assess(q, answer.strip())
    if assessment is None:
        return error(question_id, "took too long to assess")
    return result(assessment)


async def _view(settings: Settings, bank, tenant: str | None) -> dict:
    """Question id -> question: the shipped bank, plus the tenant's imported questions."""
    if tenant is None:
        return dict(bank.by_id)
    from bot.core.catalog import Catalog
    from storage.db import create_engine
    from storage.repositories import Store

    engine = create_engine(settings.database_url)
    try:
        async with Store(engine).transaction() as repo:
            return dict((await Catalog(bank).view(repo, tenant)).by_id)
    finally:
        await engine.dispose()
