"""Action keys: what a button carries, so a click can be checked against the card it was built from.

`grade:db-covering-index:3:4` = grade question db-covering-index, built from card version 3, rating 4.
Keys are short (Discord custom_id allows 100 characters, adapters add a small prefix).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.errors import StaleAction

MAX_KEY_LENGTH = 90
UNDO_MINUTES = 10  # an undo key works this long after its grade, and only while it is the learner's last
# reveal/answer/grade: a question at a card version; next: the slot carries a category (or "");
# open: show a question to whoever clicks (question of the day); topic: practise a topic;
# forget: confirm deleting the clicker's data; skip: set a question aside for today at a card version
# (no new-question slot used); undo: take back the grade that moved the card to this version, given
# at `ref` (milliseconds since the epoch): after an undo and a new grade of the same version, the
# first grade's undo key cannot take back the new one.
# Mock interviews carry the mock id where the question id goes and the step (or, for mgrade, the
# report's question index) as the version: mnote opens the notes form, mdone ends a step, mstop ends
# the mock, mgrade confirms a grade from its report.
VERBS = (
    "reveal", "answer", "grade", "next", "open", "topic", "forget", "skip", "undo",
    "mnote", "mdone", "mstop", "mgrade",
)  # fmt: skip
RATED = ("grade", "mgrade")


@dataclass(frozen=True)
class ActionKey:
    verb: str
    question_id: str = ""
    version: int = 0
    rating: int | None = None
    ref: int | None = None  # undo: when the grade it takes back was given (ms since the epoch, base 36 in the key)

    def encode(self) -> str:
        parts = [self.verb, self.question_id, str(self.version)]
        if self.rating is not None:
            parts.append(str(self.rating))
        elif self.ref is not None:
            parts.append(base36(self.ref))
        key = ":".join(parts)
        if len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"action key too long: {key!r}")
        return key

    @classmethod
    def parse(cls, key: str) -> ActionKey:
        parts = key.split(":")
        try:
            verb, question_id, version = parts[0], parts[1], int(parts[2])
            fourth = int(parts[3], 36 if verb == "undo" else 10) if len(parts) == 4 else None
        except (IndexError, ValueError):
            raise StaleAction("that button is not one of ours") from None
        rating = fourth if verb in RATED else None
        ref = fourth if verb == "undo" else None  # an undo key made before keys carried the grade's time has none
        if verb not in VERBS or len(parts) > 4 or version < 0 or (verb in RATED) != (rating is not None):
            raise StaleAction("that button is not one of ours")
        if fourth is not None and rating is None and ref is None:
            raise StaleAction("that button is not one of ours")
        if (rating is not None and not 1 <= rating <= 4) or (ref is not None and ref < 1):
            raise StaleAction("that button is not one of ours")
        return cls(verb, question_id, version, rating, ref)


def millis(moment: datetime) -> int:
    """A stored time as milliseconds since the epoch (a naive one is UTC, as SQLite returns them)."""
    return round((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
        if not number:
            return out


def undo_key(question_id: str, version: int, graded_at: datetime) -> str:
    """The key that takes back the grade that moved a card to `version`, given at `graded_at` (an imported
    question's long id may leave no room for the time: then any grade of that version matches)."""
    key = ActionKey("undo", question_id, version, ref=millis(graded_at))
    try:
        return key.encode()
    except ValueError:
        return ActionKey("undo", question_id, version).encode()
