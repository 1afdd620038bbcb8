"""Which questions a learner can be served: the shipped bank (plus, per server or workspace, its own
imported questions)."""

from __future__ import annotations

from question_bank.loader import Bank
from question_bank.schema import Question


class Catalog:
    def __init__(self, bank: Bank):
        self.bank = bank

    def questions(self, tenant: str | None = None) -> tuple[Question, ...]:
        return self.bank.questions

    def get(self, question_id: str, tenant: str | None = None) -> Question | None:
        return self.bank.get(question_id)
