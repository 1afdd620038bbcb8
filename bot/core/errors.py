"""Typed domain errors. The core raises them; each adapter turns them into friendly text in one place
(replies.error_reply)."""

from __future__ import annotations

from question_bank.loader import InvalidBank
from storage.errors import DatabaseUnavailable

__all__ = [
    "DatabaseUnavailable", "DomainError", "InvalidBank", "InvalidInput", "NotAllowed", "StaleAction", "UnknownQuestion",
    "EXPECTED",
]  # fmt: skip


class DomainError(Exception):
    pass


class UnknownQuestion(DomainError):
    def __init__(self, question_id: str):
        self.question_id = question_id
        super().__init__(question_id)


class StaleAction(DomainError):
    """A button built from an older state of the card (or a malformed one): nothing was changed."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class NotAllowed(DomainError):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class InvalidInput(DomainError):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# What a use case may raise that an adapter answers with error_reply (anything else is a bug: logged,
# answered "Something went wrong"). DatabaseUnavailable (from storage) means nothing was recorded.
EXPECTED = (DomainError, InvalidBank, DatabaseUnavailable)
