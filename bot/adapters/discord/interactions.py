"""How every interaction is answered: who is asking, the 3-second acknowledgement, where the reply
goes, and the one place domain errors become friendly text.

Slash commands, buttons and the answer form all come through here, so the rules hold everywhere:
acknowledge first (the database may take longer than Discord's 3 s), replies private unless asked
otherwise, allowed_mentions none on every message.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import discord

from bot.adapters.discord import render
from bot.adapters.outcome import settle
from bot.core import uploads
from bot.core.actions import ActionKey
from bot.core.errors import DomainError
from bot.core.practice import MAX_ANSWER_CHARS, LearnerRef
from bot.core.replies import Reply, error_reply
from bot.ops.logs import request_context
from bot.ops.metrics import Tracked

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
ANSWER_FIELD_ID = "answer"


def learner(interaction: discord.Interaction) -> LearnerRef:
    """Discord user ids are global, so the workspace is empty: one learner across servers. Named by
    their global name, never a server nickname: one server's nickname is not another server's business."""
    user = interaction.user
    return LearnerRef("discord", str(user.id), "", display_name=user.global_name or user.name)


def tenant(interaction: discord.Interaction) -> str | None:
    """The server whose own questions and leaderboard apply; None in a DM."""
    return f"discord:{interaction.guild_id}" if interaction.guild_id else None


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server, as Discord computed it for this member; the core checks it again."""
    return interaction.guild_id is not None and interaction.permissions.manage_guild


def command_name(interaction: discord.Interaction) -> str:
    """What the interaction asks for, for the metrics: a command's name, "button <verb>" or "answer"."""
    if interaction.command is not None:
        return interaction.command.qualified_name
    if interaction.type is discord.InteractionType.modal_submit:
        return "answer"
    custom_id = str((interaction.data or {}).get("custom_id", ""))
    return f"button {parse_verb(custom_id.removeprefix(render.PREFIX)) or '?'}"


@contextmanager
def handling(interaction: discord.Interaction) -> Iterator[Tracked]:
    """One interaction, timed and counted; its log lines carry its id."""
    metrics = interaction.client.app.metrics  # type: ignore[attr-defined]  # the PracticeBot's App
    with request_context(f"discord:{interaction.id}"), metrics.interaction("discord", command_name(interaction)) as t:
        yield t


async def _acknowledged(
    acknowledge: Coroutine[Any, Any, Any], work: Coroutine[Any, Any, Reply], tracked: Tracked
) -> Reply:
    """Acknowledge first, then run the use case; if acknowledging fails, the use case never starts."""
    try:
        await acknowledge
    except BaseException:
        work.close()
        raise
    reply = await settle(work, tracked)
    assert reply is not None
    return reply


async def _send_private(interaction: discord.Interaction, reply: Reply) -> None:
    embed, view = render.render(reply)
    options: dict[str, Any] = {"ephemeral": True, "allowed_mentions": NO_MENTIONS, "files": render.attachments(reply)}
    if embed is not None:
        options["embed"] = embed
    if view is not None:
        options["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**options)
    else:
        await interaction.response.send_message(**options)


async def _fill(interaction: discord.Interaction, reply: Reply) -> None:
    """Replace the acknowledged message (the "thinking" one, or the clicked one) with the reply. A file
    over this server's upload limit comes compressed, or in parts sent privately after it."""
    first, *more = await uploads.within(reply, interaction.filesize_limit)
    embed, view = render.render(first)
    await interaction.edit_original_response(
        embed=embed, view=view, attachments=render.attachments(first), allowed_mentions=NO_MENTIONS
    )
    for part in more:
        await _send_private(interaction, part)


async def refuse(interaction: discord.Interaction, error: DomainError) -> None:
    """Refused before any work started (e.g. a member without Manage Server): said privately."""
    await _send_private(interaction, error_reply(error))


# slash commands ---------------------------------------------------------------------------------
async def respond(interaction: discord.Interaction, work: Coroutine[Any, Any, Reply], *, public: bool = False) -> None:
    """Acknowledge at once, run the use case, then show its reply (privately unless `public`)."""
    with handling(interaction) as tracked:
        reply = await _acknowledged(interaction.response.defer(ephemeral=not public, thinking=True), work, tracked)
        await _show(interaction, reply, public)


async def _show(interaction: discord.Interaction, reply: Reply, public: bool) -> None:
    if not public:
        await _fill(interaction, reply)
    elif reply.kind == "question":
        await _fill(interaction, render.shared(reply))
        if reply.notice:  # meant for the caller alone
            await _send_private(interaction, Reply(title="For you", body=reply.notice, kind="info"))
    else:  # "all caught up" or an error is for the caller alone, not the channel
        await interaction.delete_original_response()
        await _send_private(interaction, reply)


# buttons ----------------------------------------------------------------------------------------
FORMS = {  # verb -> (title, label, placeholder) of the text box a button opens
    "answer": (render.ANSWER_TITLE, render.ANSWER_LABEL, render.ANSWER_PLACEHOLDER),
    "mnote": (render.NOTES_TITLE, render.NOTES_LABEL, render.NOTES_PLACEHOLDER),
}


class TextForm(discord.ui.Modal):
    """The text box behind "Write an answer" (and a mock's "Add notes"). Its custom_id carries the
    button's key, so the submission is handled from the id alone (see `submit`), like the buttons:
    it survives a restart."""

    def __init__(self, key: str, verb: str):
        title, label, placeholder = FORMS[verb]
        super().__init__(title=title, custom_id=render.PREFIX + key, timeout=None)
        self.add_item(
            discord.ui.TextInput(
                label=label, style=discord.TextStyle.paragraph, placeholder=placeholder,
                max_length=MAX_ANSWER_CHARS, custom_id=ANSWER_FIELD_ID,
            )  # fmt: skip
        )


async def open_text_form(interaction: discord.Interaction, key: str, verb: str) -> None:
    form = TextForm(key, verb)
    await interaction.response.send_modal(form)
    form.stop()  # discord.py would otherwise hold it in memory until submitted, and lose it on a restart


async def press(interaction: discord.Interaction, work: Coroutine[Any, Any, Reply]) -> None:
    """A button other than "answer". On a private message the reply replaces it (grading removes the
    grade buttons); key points come as a new message so the question stays readable above them; a
    public message (question of the day) is never changed: each clicker gets a private reply."""
    message = interaction.message
    on_private = message is not None and message.flags.ephemeral
    # On a private message: a deferred update of the clicked message; else a private "thinking" one.
    if on_private:
        acknowledge = interaction.response.defer()
    else:
        acknowledge = interaction.response.defer(ephemeral=True, thinking=True)
    with handling(interaction) as tracked:
        reply = await _acknowledged(acknowledge, work, tracked)
        if on_private and reply.kind in ("reveal", "error"):
            await _send_private(interaction, reply)
        else:
            await _fill(interaction, reply)


def form_key(interaction: discord.Interaction) -> str | None:
    """The ActionKey of a submitted answer or notes form, None for anything that is not ours."""
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    custom_id = str(data.get("custom_id", ""))
    if interaction.type is not discord.InteractionType.modal_submit or not custom_id.startswith(render.PREFIX):
        return None
    key = custom_id.removeprefix(render.PREFIX)
    return key if parse_verb(key) in FORMS else None


def submitted_text(interaction: discord.Interaction) -> str:
    """The answer field's value, wherever the form layout nests it (action row or label)."""
    pending: list[Any] = list((interaction.data or {}).get("components", []))
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if node.get("custom_id") == ANSWER_FIELD_ID and "value" in node:
                return str(node["value"])
            pending.extend(node.get("components", []))
            if "component" in node:
                pending.append(node["component"])
    return ""


async def submit(interaction: discord.Interaction, work: Coroutine[Any, Any, Reply], text: str) -> None:
    """The learner's answer: key points to compare, with their own text echoed (escaped) above them.
    Echoed on failure too, so a stale form never loses what they wrote."""
    with handling(interaction) as tracked:
        reply = await _acknowledged(interaction.response.defer(ephemeral=True, thinking=True), work, tracked)
        await _fill(interaction, render.with_answer(reply, text))


def parse_verb(key: str) -> str:
    """The verb of a clicked key, "" for a malformed one (the core then says it is not ours)."""
    try:
        return ActionKey.parse(key).verb
    except DomainError:
        return ""
