"""One entry point for every button: the adapters pass the key through and render the Reply.

Adapters own only what is theirs to show: "answer" opens a text box (a Discord modal, a Slack
view) whose submission goes to `Practice.submit_answer`; every other verb lands here.
"""

from __future__ import annotations

from bot.core.accounts import Accounts
from bot.core.actions import ActionKey
from bot.core.errors import StaleAction
from bot.core.practice import LearnerRef, Practice
from bot.core.replies import Reply


class Buttons:
    def __init__(self, practice: Practice, accounts: Accounts):
        self.practice = practice
        self.accounts = accounts

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
        raise StaleAction("that button is not one of ours")
