"""One learner across platforms, and the learner's own data: link codes, export, forget me.

Linking: an identity asks for a code (6 digits, valid 10 minutes, single use, stored only as a
hash) and another identity redeems it. The redeeming side is merged into the code's learner: its
identities resolve there from then on, its cards and reviews move over, and where both sides had a
card for the same question the one reviewed most recently is kept and the other's reviews are
re-pointed to it, so every review survives.

Guessing is limited three ways, none of which forget-me resets: each platform identity may enter 5
wrong codes per 15 minutes (counted against a hash of the identity, not the learner); a code dies
once 10 wrong codes have been entered anywhere while it was live (each could have been a guess at
it), so no code is ever exposed to more than 10 guesses in a million; and when 1,000 wrong codes
were entered by everyone in the last hour, linking pauses for all.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.actions import ActionKey
from bot.core.errors import DomainError, InvalidInput, NotAllowed, StaleAction
from bot.core.practice import LearnerRef, Practice
from bot.core.replies import Action, File, Reply, plural
from storage.repositories import CardRecord, LearnerRecord, Repository

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_DRAWS = 5  # a fresh draw when a code collides with another learner's live one
IDENTITY_GUESSES, IDENTITY_WINDOW = 5, timedelta(minutes=15)  # wrong codes one identity may enter
CODE_GUESSES = 10  # wrong codes entered anywhere while a code is live, before it dies
GLOBAL_GUESSES, GLOBAL_WINDOW = 1000, timedelta(hours=1)  # wrong codes from everyone, before linking pauses
EXPORT_FORMAT = 1


def code_hash(code: str) -> str:
    """Codes are stored hashed, so reading the database does not hand out live codes."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def identity_hash(who: LearnerRef) -> str:
    """What the guess limit is counted against: the platform identity, hashed (no learner, no name)."""
    return hashlib.sha256(f"{who.platform}\0{who.workspace}\0{who.user_id}".encode()).hexdigest()


def reviewed_later(a: CardRecord, b: CardRecord) -> bool:
    return (a.last_review or date.min) > (b.last_review or date.min)


@dataclass(frozen=True)
class _Refusal:
    """A redemption that failed: raised after the transaction commits, so a wrong guess is counted."""

    error: DomainError
    counts: bool  # a failed guess, counted against the rate limit


class Accounts:
    def __init__(self, practice: Practice):
        self.practice = practice

    # linking ----------------------------------------------------------------------------------
    async def link_code(self, who: LearnerRef) -> Reply:
        """A new code for this learner; it replaces any unused one they had."""
        now = self.practice.clock.now()
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            for _ in range(CODE_DRAWS):
                code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
                if await repo.replace_link_code(learner.id, code_hash(code), now + CODE_LIFETIME, now):
                    return link_code_reply(code)
        raise InvalidInput(BUSY)

    async def link(self, who: LearnerRef, code: str) -> Reply:
        """Redeem a code from another identity: this identity's learner joins the code's learner."""
        digits = "".join(code.split())
        if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", digits):
            raise InvalidInput(NOT_A_CODE)
        now = self.practice.clock.now()
        guesser = identity_hash(who)
        async with self.practice.store.transaction() as repo:
            me = await self.practice.learner(repo, who)
            await repo.lock_learner(me.id)
            outcome: Reply | _Refusal | None = await self._guess_limit(repo, guesser, now)
            if outcome is None:
                outcome = await self._redeem(repo, me, code_hash(digits), now)
                if isinstance(outcome, _Refusal) and outcome.counts:
                    await repo.record_wrong_guess(guesser, now, forget_before=now - GLOBAL_WINDOW)
        if isinstance(outcome, _Refusal):
            raise outcome.error
        return outcome

    @staticmethod
    async def _guess_limit(repo: Repository, guesser: str, now: datetime) -> _Refusal | None:
        """A refusal while this identity, or everyone together, has entered too many wrong codes."""
        mine = await repo.wrong_guesses_by(guesser, now - IDENTITY_WINDOW)
        if len(mine) >= IDENTITY_GUESSES:
            wait = mine[-IDENTITY_GUESSES] + IDENTITY_WINDOW - now
            return _Refusal(NotAllowed(too_many_attempts(wait)), counts=False)
        total, oldest = await repo.wrong_guesses_since(now - GLOBAL_WINDOW)
        if total >= GLOBAL_GUESSES and oldest is not None:
            return _Refusal(NotAllowed(linking_paused(oldest + GLOBAL_WINDOW - now)), counts=False)
        return None

    async def _redeem(self, repo: Repository, me: LearnerRecord, digest: str, now: datetime) -> Reply | _Refusal:
        codes = await repo.link_codes(digest)
        live = [c for c in codes if c.used_at is None and c.expires_at > now]
        if not live:
            if any(c.used_at is not None for c in codes):
                return _Refusal(InvalidInput(CODE_USED), counts=True)
            return _Refusal(InvalidInput(CODE_EXPIRED if codes else CODE_WRONG), counts=True)
        code = live[0]
        if code.wrong_guesses >= CODE_GUESSES:
            return _Refusal(InvalidInput(CODE_LOCKED), counts=True)
        if code.learner_id == me.id:
            return _Refusal(InvalidInput(ALREADY_LINKED), counts=False)
        if not await repo.use_link_code(code.id, now):  # redeemed a moment ago by someone else
            return _Refusal(InvalidInput(CODE_USED), counts=True)
        keep = await repo.learner_by_id(code.learner_id)
        assert keep is not None  # a learner's codes go when the learner goes
        return await self._merge(repo, keep, me)

    async def _merge(self, repo: Repository, keep: LearnerRecord, merged: LearnerRecord) -> Reply:
        """Fold `merged` into `keep`: one card per question (the most recently reviewed), all reviews."""
        theirs = {c.question_id: c for c in await repo.cards(keep.id)}
        shared = 0
        for card in await repo.cards(merged.id):
            other = theirs.get(card.question_id)
            if other is None:
                continue
            newer, older = (card, other) if reviewed_later(card, other) else (other, card)
            # Grade keys carry the card version: continuing past both versions never repeats one.
            await repo.fold_card(older.id, newer.id, max(card.version, other.version))
            shared += 1
        # A zone the learner chose beats one a surface guessed (a machine's zone, a Slack profile).
        if merged.timezone is not None and (
            keep.timezone is None or (merged.timezone_chosen and not keep.timezone_chosen)
        ):
            await repo.set_timezone(keep.id, merged.timezone, chosen=merged.timezone_chosen)
        if merged.leaderboard_opt_out and not keep.leaderboard_opt_out:
            await repo.set_leaderboard_opt_out(keep.id, True)  # hidden stays hidden
        moved = await repo.merge_learner(merged.id, keep.id)
        return linked_reply(moved.cards, moved.reviews, shared, dm_dropped=moved.dm_dropped)

    # the learner's own data -------------------------------------------------------------------
    async def export(self, who: LearnerRef) -> Reply:
        """Everything stored about the learner, as JSON: learner, identities, cards, reviews, subscriptions."""
        now = self.practice.clock.now()
        async with self.practice.store.transaction() as repo:
            learner = await self.practice.learner(repo, who)
            rows = await repo.export_rows(learner.id)
        document = {"format": EXPORT_FORMAT, "exported_at": now, **rows, "learner": rows["learner"][0]}
        data = json.dumps(document, indent=2, ensure_ascii=False, default=_json_value).encode("utf-8")
        return export_reply(File("my-data.json", data, EXPORT_DESCRIPTION, title="your data"), rows)

    async def forget_prompt(self, who: LearnerRef) -> Reply:
        """Ask first. The button names the learner (id and creation second), so it deletes only what it
        was shown for, even where a database reuses a deleted learner's id (SQLite without AUTOINCREMENT)."""
        async with self.practice.store.transaction() as repo:
            learner = await repo.learner(who.platform, who.user_id, who.workspace)
        if learner is None:
            return Reply(title="Nothing stored", body=NOTHING_STORED, kind="info")
        return forget_prompt_reply(ActionKey("forget", str(learner.id), _stamp(learner)).encode())

    async def forget(self, who: LearnerRef, key: str) -> Reply:
        """Delete everything about the clicker: every linked identity, cards, reviews, daily pushes and
        link codes. Wrong link codes they entered stay counted (by identity hash, for an hour): deleting
        an account must not reset the guess limit."""
        action = ActionKey.parse(key)
        if action.verb != "forget":
            raise StaleAction("that button is not a delete button")
        async with self.practice.store.transaction() as repo:
            learner = await repo.learner(who.platform, who.user_id, who.workspace)
            if learner is None:
                raise StaleAction("your data is already deleted")
            if (str(learner.id), _stamp(learner)) != (action.question_id, action.version):
                raise StaleAction("this confirmation was made for another account")
            deleted = await repo.forget_learner(learner.id)
        return forgotten_reply(deleted)


def _stamp(learner: LearnerRecord) -> int:
    return int(learner.created_at.timestamp())


def _json_value(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


# What the learner reads ------------------------------------------------------------------------
NOT_A_CODE = "A link code is 6 digits, like 042917. Ask for one with the link command on your other account."
CODE_WRONG = "That code is not right. Check the 6 digits, or ask for a new code on your other account."
CODE_EXPIRED = "That code has expired (codes last 10 minutes). Ask for a new one on your other account."
CODE_USED = "That code was already used (each code works once). Ask for a new one on your other account."
ALREADY_LINKED = "That code belongs to this account (or one already linked to it). Enter it on the account to link."
CODE_LOCKED = (
    "That code was locked: too many wrong codes were entered while it was valid. Ask for a new one on your "
    "other account."
)
BUSY = "Too many link codes are in use right now. Please try again in a minute."
NOTHING_STORED = "There is nothing stored about you."
EXPORT_DESCRIPTION = "Everything stored about you, as JSON"


def _try_again(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"Try again in {plural(minutes, 'minute')}."


def too_many_attempts(wait: timedelta) -> str:
    return f"Too many wrong codes. {_try_again(wait)}"


def linking_paused(wait: timedelta) -> str:
    return f"Too many wrong codes were entered recently, so linking is paused for everyone. {_try_again(wait)}"


def link_code_reply(code: str) -> Reply:
    return Reply(
        title="Your link code",
        body=(
            f"**{code}**\n"
            "Enter it with the link command on your other account (Discord, Slack or the terminal) "
            "within 10 minutes. It works once. Both accounts then share one schedule and one history."
        ),
        footer="Never share this code: whoever enters it joins their account to yours",
        kind="info",
    )


def linked_reply(cards: int, reviews: int, shared: int, *, dm_dropped: bool) -> Reply:
    lines = [
        "This account and your other one are now one learner with one schedule.",
        f"Brought over: {plural(cards, 'question')} and {plural(reviews, 'review')}; every review is kept.",
    ]
    if shared:
        were = "was" if shared == 1 else "were"
        lines.append(f"{plural(shared, 'question')} {were} on both: the schedule reviewed most recently is kept.")
    if dm_dropped:
        lines.append("You had a daily question on both accounts; the one set up from this account is stopped.")
    return Reply(title="Accounts linked", body="\n".join(lines), kind="info")


def export_reply(file: File, rows: dict[str, list[dict[str, Any]]]) -> Reply:
    body = (
        f"{plural(len(rows['cards']), 'question')}, {plural(len(rows['reviews']), 'review')}, "
        f"{plural(len(rows['identities']), 'linked account')}, {plural(len(rows['subscriptions']), 'daily question')}.\n"
        "The file includes the answers you wrote: keep it somewhere private."
    )
    return Reply(title="Your data", body=body, files=(file,), kind="info")


def forget_prompt_reply(key: str) -> Reply:
    return Reply(
        title="Delete all your data?",
        body=(
            "This deletes everything stored about you, on every linked account: your schedule, every "
            "review and written answer, daily questions and link codes. It cannot be undone. (Wrong link "
            "codes you entered stay counted for up to an hour, by a hash of your account id and nothing else, "
            "so that deleting cannot reset the guess limit.)\n"
            "Export your data first if you want a copy."
        ),
        actions=(Action("Delete all my data", key, "danger", hint="Deletes everything about you, for good"),),
        kind="info",
    )


def forgotten_reply(deleted: dict[str, int]) -> Reply:
    body = (
        f"Deleted {plural(deleted['reviews'], 'review')}, {plural(deleted['cards'], 'question')}, "
        f"{plural(deleted['learners'], 'account')} and {plural(deleted['push_targets'], 'daily question')}. "
        "Nothing else about you is stored; using the bot again starts afresh."
    )
    if deleted.get("slack_installs"):
        body += (
            "\nYou installed the bot in this Slack workspace: your user id and user token are removed from "
            "that install. The workspace's bot install stays (it belongs to the workspace) and keeps working."
        )
    return Reply(title="Your data is deleted", body=body, kind="info")
