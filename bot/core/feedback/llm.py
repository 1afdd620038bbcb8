"""An optional second opinion from a language model behind an OpenAI-compatible endpoint (Ollama
serves one). Off unless LLM_BASE_URL and LLM_MODEL are set; the HTTP client is an adapter
(bot.adapters.llm_endpoint) behind the `ChatModel` port.

The offline assessment always comes first and stands: the model adds a short explanation and one
follow-up question, and may name further key points only with a quote that is found, word for word,
in the answer (any other claim is dropped). A timeout (at most 20 s), an HTTP error or a reply that
is not what was asked for gives None, and the learner sees the offline result alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from question_bank.schema import Question

if TYPE_CHECKING:
    from bot.core.feedback import Assessment

log = logging.getLogger(__name__)

MAX_TIMEOUT = 20.0
EXPLANATION_CHARS = 600
FOLLOW_UP_CHARS = 300
JSON_OBJECT = re.compile(r"\{.*\}", re.S)
SYSTEM = (
    "You review a candidate's written answer to a backend interview question. Reply with one JSON object "
    'only: {"explanation": "<at most three sentences on what the answer does well and what it misses>", '
    '"follow_up": "<one follow-up question an interviewer would ask next>", '
    '"covered": [{"index": <key point index>, "quote": "<exact words copied from the answer>"}]}. '
    "List a key point as covered only if you can copy the words from the answer that show it."
)


@dataclass(frozen=True)
class Explanation:
    text: str
    follow_up: str = ""
    also_covered: dict[int, str] = field(default_factory=dict)  # key point -> quote found in the answer


class ChatModel(Protocol):
    async def complete(self, system: str, user: str) -> str:
        """The model's reply to one system + user message; raises on any failure."""
        ...


class Explainer:
    def __init__(self, model: ChatModel, timeout: float = MAX_TIMEOUT):
        self.model = model
        self.timeout = min(timeout, MAX_TIMEOUT)

    async def explain(self, q: Question, answer: str, assessment: Assessment) -> Explanation | None:
        points = "\n".join(f"{i}. {text}" for i, text in enumerate(q.key_point_texts))
        user = (
            f"Question: {q.title}\n{q.prompt}\n\nKey points:\n{points}\n\n"
            f"Already found offline: {list(assessment.covered)}\n\nAnswer:\n{answer}"
        )
        try:
            async with asyncio.timeout(self.timeout):
                content = await self.model.complete(SYSTEM, user)
            return parse(content, q, answer, assessment)
        except Exception as exc:  # noqa: BLE001 - any failure falls back to the offline result
            log.info("language model explanation skipped: %s", type(exc).__name__)
            return None


def _clip(text: Any, limit: int) -> str:
    text = " ".join(str(text).split()) if isinstance(text, str) else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse(content: Any, q: Question, answer: str, assessment: Assessment) -> Explanation | None:
    """The model's reply, checked: claims of coverage stand only with a quote found in the answer."""
    if not isinstance(content, str) or (found := JSON_OBJECT.search(content)) is None:
        return None
    data = json.loads(found.group())
    if not isinstance(data, dict):
        return None
    text = _clip(data.get("explanation"), EXPLANATION_CHARS)
    if not text:
        return None
    also: dict[int, str] = {}
    for claim in data.get("covered") or []:
        if not isinstance(claim, dict):
            continue
        index, quote = claim.get("index"), claim.get("quote")
        if (
            isinstance(index, int) and 0 <= index < len(q.key_points) and index not in assessment.covered
            and isinstance(quote, str) and len(quote.strip()) >= 8 and quote.strip() in answer
        ):  # fmt: skip
            also[index] = quote.strip()
    return Explanation(text, _clip(data.get("follow_up"), FOLLOW_UP_CHARS), also)
