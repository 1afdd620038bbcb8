"""One entry point for every button: the adapters pass the key through and render the Reply.

Adapters own only what is theirs to show: "answer" and "mnote" open a text box (a Discord modal, a
Slack view) whose submission goes to `Practice.submit_answer` or `Mocks.add_notes`; every other verb
lands here.
"""

from __future__ import annotations

from bot.core.accounts import Accounts
from bot.core.actions import ActionKey
from bot.core.errors import StaleAction
from bot.core.mock import Mocks
from bot.core.practice import LearnerRef, Practice
from bot.core.replies import Reply


class Buttons:
    def __init__(self, practice: Practice, accounts: Accounts, mocks: Mocks):
        self.practice = practice
        self.accounts = accounts
        self.mocks = mocks

    async def press(self, who: LearnerRef, key: str, *, tenant: str | None = None) -> Reply:
        """Raises StaleAction for a key that is not ours or no longer applies (the adapter says so)."""
        action = ActionKey.parse(key)
        match action.verb:
            case "reveal" | "answer":
                return await self.practice.reveal(who, key, tenant=tenant)
            case "grade":
                return await self.practice.grade(who, key, tenant=tenant)
            case "skip":
                return await self.practice.skip(who, key, tenant=tenant)
            case "undo":
                return await self.practice.undo(who, key, tenant=tenant)
            case "next":
                return await self.practice.next_question(who, action.question_id or None, tenant=tenant)
            case "open":
                return await self.practice.show(who, action.question_id, tenant=tenant)
            case "topic":
                return await self.practice.next_question(who, topic=action.question_id, tenant=tenant)
            case "forget":
                return await self.accounts.forget(who, key)
            case "mnote":  # surfaces without a text box show the step again
                return await self.mocks.current(who, tenant=tenant)
            case "mdone":
                return await self.mocks.done(who, key, tenant=tenant)
            case "mstop":
                return await self.mocks.stop(who, key, tenant=tenant)
            case "mgrade":
                return await self.mocks.confirm(who, key, tenant=tenant)
        raise StaleAction("that button is not one of ours")
