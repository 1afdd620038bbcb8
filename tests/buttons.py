"""Reading a core Reply the way a learner does: which question it is, and the key of a button."""

from __future__ import annotations

from bot.core.actions import ActionKey
from bot.core.replies import Reply


def qid(reply: Reply) -> str:
    """The question id a question reply shows in its footer."""
    return reply.footer.rsplit("· ", 1)[-1]


def key(reply: Reply, verb: str, rating: int | None = None) -> str:
    """The action key of the reply's button with this verb (and rating, for grades)."""
    for action in reply.actions:
        parsed = ActionKey.parse(action.key)
        if parsed.verb == verb and (rating is None or parsed.rating == rating):
            return action.key
    raise AssertionError(f"no {verb} action in {reply.actions}")
