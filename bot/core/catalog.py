"""Which questions a learner can be served: the shipped bank plus, for a server or workspace
(a tenant), the questions that tenant imported. A tenant's questions are never visible to another.

Imported questions get an effective id `<slug>~<row id>`: `~` is not allowed in bank slugs, so it
never collides with a shipped question or with another tenant's question of the same slug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from question_bank.loader import Bank
from question_bank.schema import Question
from storage.repositories import Repository


def custom_id(slug: str, row_id: int) -> str:
    return f"{slug}~{row_id}"


@dataclass(frozen=True)
class View:
    """The questions visible in one context, in serving order."""

    questions: tuple[Question, ...]
    by_id: dict[str, Question] = field(repr=False)

    def get(self, question_id: str) -> Question | None:
        return self.by_id.get(question_id)

    def has(self, question_id: str) -> bool:
        return question_id in self.by_id


class Catalog:
    def __init__(self, bank: Bank):
        self.bank = bank
        self.shipped = View(bank.questions, bank.by_id)  # what every context sees, no database needed
        # tenant -> (stamp, view); reloaded when the tenant's questions change in the database
        self._tenants: dict[str, tuple[tuple[int, datetime | None], View]] = {}

    async def view(self, repo: Repository, tenant: str | None) -> View:
        if tenant is None:
            return self.shipped
        stamp = await repo.custom_stamp(tenant)
        if stamp[0] == 0:
            return self.shipped
        cached = self._tenants.get(tenant)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        custom = [
            Question.model_validate({**r.document, "id": r.slug}).model_copy(update={"id": custom_id(r.slug, r.id)})
            for r in await repo.custom_questions(tenant)
        ]
        questions = self.bank.questions + tuple(custom)
        view = View(questions, {**self.bank.by_id, **{q.id: q for q in custom}})
        self._tenants[tenant] = (stamp, view)
        return view
