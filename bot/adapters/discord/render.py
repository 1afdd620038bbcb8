"""A core Reply as Discord sees it: an embed, a row of buttons, attachments, or a REST message body.

Pure functions, no client needed: the interaction handlers use `render`, the push workers post
`message_payload` over REST. Discord's limits are enforced here, cutting text cleanly with "…" rather
than letting Discord refuse the whole message. Mentions are defused in every string (and the
messages are sent with allowed_mentions none), so nothing the bot shows can ping anyone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import discord

from bot.core.actions import ActionKey
from bot.core.replies import Action, Field, File, Reply, full_body

PREFIX = "ipb:"  # every custom_id the bot owns is PREFIX + an ActionKey
TEMPLATE = r"ipb:(?P<key>.+)"

# Discord's documented embed and component limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
LABEL_MAX = 80
BUTTONS_MAX = 25  # 5 rows of 5
_LINK_SYNTAX = re.compile(r"[\[\]<]")  # what makes a masked link or an autolink
CONTINUED = "\u200b"  # the name of a field that continues the one above (Discord requires one)

COLOURS = {
    "question": discord.Colour.blurple(),
    "reveal": discord.Colour.green(),
    "graded": discord.Colour.fuchsia(),
    "info": discord.Colour.light_grey(),
    "error": discord.Colour.red(),
}
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}
NO_MENTIONS: dict[str, Any] = {"parse": []}

# What only Discord shows. Everything else comes from the core's replies.
HINTS_FIELD = "What the buttons mean"
ANSWER_FIELD = "Your answer"
ANSWER_TITLE = "Your answer"  # the form: title at most 45 characters, label 45, placeholder 100
ANSWER_LABEL = "Answer as you would in the interview"
ANSWER_PLACEHOLDER = "Write freely; the key points come next so you can compare and grade yourself."
NOTES_TITLE = "Your notes for this step"
NOTES_LABEL = "What you would say at this step"
NOTES_PLACEHOLDER = "Send as many notes as you like; press Done when you are ready to move on."
MOCK_IN_DMS = "Your mock interview has started in your direct messages with me."
NO_THREAD = (
    "I can't open a private thread in this channel (I need Create Private Threads and Send Messages in "
    "Threads here). Start it with where: In my direct messages instead."
)


def mock_in_thread(thread_id: str) -> str:
    return f"Your mock interview has started in a private thread: <#{thread_id}>"
OPEN_LABEL = "Practise this"
MANAGE_SERVER_ONLY = "Only members with the Manage Server permission can do that."
SERVER_ONLY = "That works in a server, not in direct messages."
BAD_CHANNEL = "Choose a text or announcement channel."
DM_FIELD = "Direct message"
DM_REFUSED = {
    50007: "I could not send you a direct message: your DMs are closed to me. Allow direct messages from "
    "this server's members (server menu > Privacy Settings) so your daily question can reach you.",
    50278: "I could not send you a direct message because we no longer share a server. Join a server "
    "I am in so your daily question can reach you.",
}
DM_FAILED = "I could not send you a direct message just now; your daily question will still try."
DM_KEPT = "Your subscription is saved either way."
EXPORT_TITLE = "This server's questions"
EXPORT_BODY = "Every question this server added, in the import format: edit it and bring it back with `/bank import`."


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=TEMPLATE):
    """A button carrying an ActionKey in its custom_id, so a click works after any restart.

    discord.py rebuilds it from the custom_id on every click; the client routes the key to the core.
    """

    def __init__(self, key: str, label: str = "…", style: discord.ButtonStyle = discord.ButtonStyle.secondary):
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=PREFIX + key))
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: Any
    ) -> ActionButton:
        return cls(match["key"], label=item.label or "…", style=item.style)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.on_action(interaction, self.key)  # type: ignore[attr-defined]


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def defuse(text: str) -> str:
    """@everyone, @here and user/role mentions shown as text, never as a ping."""
    return discord.utils.escape_mentions(text)


def inert(text: str) -> str:
    """Link syntax shown as typed: `[text](url)` (a masked link) and `<url>` (an autolink) are escaped,
    so a link shows its real address; a bare URL stays visible as what it is."""
    return _LINK_SYNTAX.sub(r"\\\g<0>", text)


def embed(reply: Reply) -> discord.Embed:
    """Title, body, fields and footer within every per-part limit and the 6,000-character total.
    Text an admin imported is shown as text (no masked links); mentions are defused everywhere."""
    shown = (lambda text: defuse(inert(text))) if reply.imported else defuse
    title = clip(shown(reply.title), TITLE_MAX)
    footer = clip(shown(reply.footer), FOOTER_MAX)
    budget = EMBED_TOTAL_MAX - len(title) - len(footer)
    description = clip(shown(full_body(reply)), min(DESCRIPTION_MAX, budget))
    budget -= len(description)
    result = discord.Embed(title=title or None, description=description or None, colour=COLOURS.get(reply.kind))
    for name, value, inline in _field_parts((*reply.fields, *_hints(reply)), shown)[:FIELDS_MAX]:
        room = min(FIELD_VALUE_MAX, budget - len(name))
        if room < 2:  # not even "x…" fits: the rest is cut, the embed stays valid
            break
        value = clip(value, room) or CONTINUED
        result.add_field(name=name, value=value, inline=inline)
        budget -= len(name) + len(value)
    if footer:
        result.set_footer(text=footer)
    return result


def pieces(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, broken after a line, else after a space, else
    anywhere: nothing is lost."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    return [*out, text]


def _field_parts(fields: tuple[Field, ...], shown: Callable[[str], str]) -> list[tuple[str, str, bool]]:
    """(name, value, inline) per embed field: a value over Discord's 1,024 characters continues in
    the fields after it (unnamed) instead of being cut."""
    parts = []
    for field in fields:
        name = clip(shown(field.name), FIELD_NAME_MAX) or CONTINUED
        for index, piece in enumerate(pieces(shown(field.value), FIELD_VALUE_MAX)):
            parts.append((name if index == 0 else CONTINUED, piece, field.inline))
    return parts


def _hints(reply: Reply) -> tuple[Field, ...]:
    """Buttons cannot show a tooltip, so their longer meaning (e.g. each grade's) goes in a field."""
    lines = [f"**{a.label}**: {a.hint}" for a in reply.actions if a.hint]
    return (Field(HINTS_FIELD, "\n".join(lines), inline=False),) if lines else ()


def view(reply: Reply) -> discord.ui.View | None:
    """The reply's actions as persistent buttons (no timeout: they are rebuilt from their custom_id)."""
    if not reply.actions:
        return None
    result = discord.ui.View(timeout=None)
    for action in reply.actions[:BUTTONS_MAX]:
        label = clip(defuse(action.label), LABEL_MAX)
        result.add_item(ActionButton(action.key, label=label, style=STYLES.get(action.style, STYLES["secondary"])))
    return result


def render(reply: Reply) -> tuple[discord.Embed | None, discord.ui.View | None]:
    """For interaction responses. No embed for a reply that is only attachments."""
    has_text = reply.title or reply.body or reply.notice or reply.fields or reply.footer
    return (embed(reply) if has_text else None), view(reply)


def attachments(reply: Reply) -> list[discord.File]:
    return [
        discord.File(io.BytesIO(f.data), filename=f.filename, description=f.description or None) for f in reply.files
    ]


def message_payload(reply: Reply) -> dict[str, Any]:
    """The JSON body of POST /channels/{id}/messages for this reply (a daily push).

    Attachments need a multipart body, which daily pushes never carry: a reply with files is refused
    here rather than sent without them.
    """
    if reply.files:
        raise ValueError("a reply with files cannot be sent as a JSON message body")
    message_embed, message_view = render(reply)
    payload: dict[str, Any] = {"allowed_mentions": dict(NO_MENTIONS)}
    if message_embed is not None:
        payload["embeds"] = [message_embed.to_dict()]
    if message_view is not None:
        payload["components"] = message_view.to_components()
    return payload


def with_answer(reply: Reply, text: str) -> Reply:
    """The learner's own answer shown above the key points to compare, escaped so it shows as typed."""
    shown = discord.utils.escape_markdown(defuse(text.strip()))
    if not shown:
        return reply
    return replace(reply, fields=(Field(ANSWER_FIELD, clip(shown, FIELD_VALUE_MAX), inline=False), *reply.fields))


def shared(reply: Reply) -> Reply:
    """A question posted for the whole channel: one button that gives each clicker their own private
    copy, built from their own card (buttons carrying one learner's card version would fail for others)."""
    keys = [ActionKey.parse(a.key) for a in reply.actions]
    question_id = next((k.question_id for k in keys if k.verb in ("reveal", "answer")), None)
    if question_id is None:
        return reply
    open_action = Action(OPEN_LABEL, ActionKey("open", question_id, 0).encode(), "primary")
    return replace(reply, actions=(open_action,), notice="")  # the asker's notice is not the channel's


def dm_failed(reply: Reply, code: int | None) -> Reply:
    """The use case's reply, with why its confirmation could not reach the learner's DMs."""
    note = f"{DM_REFUSED.get(code or 0, DM_FAILED)} {DM_KEPT}"
    return replace(reply, fields=(*reply.fields, Field(DM_FIELD, note, inline=False)))


def bank_export(yaml_text: str) -> Reply:
    return Reply(
        title=EXPORT_TITLE,
        body=EXPORT_BODY,
        files=(File("questions.yaml", yaml_text.encode("utf-8"), "Questions in the import format"),),
    )
