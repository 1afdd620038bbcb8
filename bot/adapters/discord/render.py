"""A core Reply as Discord sees it: an embed, a row of buttons, attachments, or a REST message body.

Pure functions, no client needed: the interaction handlers use `render`, the push workers post
`message_payload` over REST. Discord's limits are enforced here, cutting text cleanly with "…" rather
than letting Discord refuse the whole message. Mentions are defused in every string (and the
messages are sent with allowed_mentions none), so nothing the bot shows can ping anyone.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import discord

from bot.core.replies import Field, Reply

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
HINTS_FIELD = "What the buttons mean"
ANSWER_FIELD = "Your answer"
NO_MENTIONS: dict[str, Any] = {"parse": []}


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


def embed(reply: Reply) -> discord.Embed:
    """Title, body, fields and footer within every per-part limit and the 6,000-character total."""
    title = clip(defuse(reply.title), TITLE_MAX)
    footer = clip(defuse(reply.footer), FOOTER_MAX)
    budget = EMBED_TOTAL_MAX - len(title) - len(footer)
    description = clip(defuse(reply.body), min(DESCRIPTION_MAX, budget))
    budget -= len(description)
    result = discord.Embed(title=title or None, description=description or None, colour=COLOURS.get(reply.kind))
    for field in (*reply.fields, *_hints(reply))[:FIELDS_MAX]:
        name = clip(defuse(field.name), FIELD_NAME_MAX) or "\u200b"
        room = min(FIELD_VALUE_MAX, budget - len(name))
        if room < 2:  # not even "x…" fits: the rest is cut, the embed stays valid
            break
        value = clip(defuse(field.value), room) or "\u200b"
        result.add_field(name=name, value=value, inline=field.inline)
        budget -= len(name) + len(value)
    if footer:
        result.set_footer(text=footer)
    return result


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
    has_text = reply.title or reply.body or reply.fields or reply.footer
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
