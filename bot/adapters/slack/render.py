"""A neutral Reply as Slack Block Kit: pure functions, no client, no I/O.

Reply text is content, not markup: `&`, `<` and `>` are escaped before anything reaches a mrkdwn
field, so a question, an answer or a display name can never become `<!channel>` or `<@U123>`.
Slack's limits (header 150 characters, section text 3000, 10 fields of 2000, 50 blocks per
message, 100 per App Home, about 12,000 characters of text across a message's blocks) are met by
splitting long text over several blocks and, only as a last resort, shortening the content above the
buttons with a note saying how many lines are not shown: Slack rejects the whole message when any
limit is exceeded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.core.practice import MAX_ANSWER_CHARS
from bot.core.replies import Action, Field, Reply, full_body

ACTION_PREFIX = "ipb:"
ANSWER_CALLBACK = "ipb:answer"  # the callback_id of the answer modal
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTON_TEXT_LIMIT = 75
BUTTONS_PER_BLOCK = 25
MESSAGE_BLOCK_LIMIT = 50
HOME_BLOCK_LIMIT = 100
FALLBACK_LIMIT = 3000
INPUT_LIMIT = 3000  # plain_text_input max_length: Slack refuses the whole view above this
# Slack refuses a message whose blocks hold more than about 12,000 characters of text
# (msg_blocks_too_long, slackapi/bolt-js#2509); we stay a margin under it.
TEXT_LIMIT = 11_000
NOTE_ROOM = 100  # characters kept for the "not shown" note
ANSWER_BLOCK, ANSWER_INPUT = "answer", "text"  # where the modal's text arrives in view_submission

FILES_IN_DM = "The file is in your direct messages with me."
Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Reply markdown (**bold**, _italic_, bullets) as Slack mrkdwn, with the content escaped."""
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", escape(text))


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut, never inside an `&...;` escape."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split at line breaks into pieces of at most `limit` characters (long lines are clipped)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        line = clip(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        pieces.append(current)
    return pieces


def _text(kind: str, text: str) -> dict[str, Any]:
    if kind == "plain_text":
        return {"type": "plain_text", "text": text, "emoji": True}
    # verbatim: Slack does not auto-link plain "@here", "#channel" or URLs; only our own markup counts.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _text("mrkdwn", text)}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_text("mrkdwn", clip(text, FIELD_LIMIT))]}


def _field_text(f: Field) -> str:
    return f"*{escape(f.name)}*\n{mrkdwn(f.value)}" if f.value else f"*{escape(f.name)}*"


def _field_blocks(fields: Sequence[Field]) -> list[Block]:
    """Inline fields side by side (10 to a section); wide ones as their own sections, in order."""
    blocks: list[Block] = []
    row: list[dict[str, Any]] = []
    for f in fields:
        if f.inline:
            if len(row) == FIELDS_PER_SECTION:
                blocks.append({"type": "section", "fields": row})
                row = []
            row.append(_text("mrkdwn", clip(_field_text(f), FIELD_LIMIT)))
            continue
        if row:
            blocks.append({"type": "section", "fields": row})
            row = []
        blocks.extend(_section(piece) for piece in chunks(_field_text(f), SECTION_LIMIT))
    if row:
        blocks.append({"type": "section", "fields": row})
    return blocks


def button(action: Action) -> dict[str, Any]:
    """A button whose action_id is "ipb:" + the action key. Slack styles only primary and danger."""
    element: dict[str, Any] = {
        "type": "button",
        "text": _text("plain_text", clip(action.label, BUTTON_TEXT_LIMIT)),
        "action_id": ACTION_PREFIX + action.key,
        "value": action.key,
    }
    if action.style in ("primary", "danger"):
        element["style"] = action.style
    if action.hint:
        element["accessibility_label"] = clip(f"{action.label}: {action.hint}", BUTTON_TEXT_LIMIT)
    return element


def _action_blocks(actions: Sequence[Action]) -> list[Block]:
    """Buttons, each key once (Slack refuses repeated action_ids), with their hints spelled out above."""
    unique = list({a.key: a for a in actions}.values())
    blocks: list[Block] = []
    hints = [f"*{escape(a.label)}*: {escape(a.hint)}" for a in unique if a.hint]
    if hints:
        blocks.append(_context(" · ".join(hints)))
    for start in range(0, len(unique), BUTTONS_PER_BLOCK):
        group = unique[start : start + BUTTONS_PER_BLOCK]
        blocks.append({"type": "actions", "block_id": f"ipb-actions-{start}", "elements": [button(a) for a in group]})
    return blocks


def text_size(node: Any) -> int:
    """Characters of text in blocks, as Slack counts them against TEXT_LIMIT: every text object's."""
    if isinstance(node, list):
        return sum(text_size(item) for item in node)
    if not isinstance(node, dict):
        return 0
    if node.get("type") in ("plain_text", "mrkdwn"):
        return len(node["text"])
    return sum(text_size(value) for value in node.values())


def _lines(blocks: Sequence[Block]) -> int:
    """Lines of text in content blocks (a section's text, each of its fields)."""
    texts = [b["text"]["text"] for b in blocks if "text" in b and b["type"] == "section"]
    texts += [f["text"] for b in blocks for f in b.get("fields", [])]
    return sum(t.count("\n") + 1 for t in texts)


def _first_lines(text: str, room: int) -> str:
    """The longest run of whole first lines of `text` within `room` characters."""
    kept = ""
    for line in text.split("\n"):
        candidate = f"{kept}\n{line}" if kept else line
        if len(candidate) > room:
            break
        kept = candidate
    return kept


def _fit(content: list[Block], tail: list[Block], limit: int) -> list[Block]:
    """Keep the buttons and footer whole; when over `limit` blocks or TEXT_LIMIT characters, keep the
    content from the top while it fits and say how many lines are left out."""
    if len(content) + len(tail) <= limit and text_size(content + tail) <= TEXT_LIMIT:
        return content + tail
    block_room = max(limit - len(tail) - 1, 1)
    text_room = TEXT_LIMIT - text_size(tail) - NOTE_ROOM
    kept: list[Block] = []
    for block in content:
        size = text_size(block)
        if len(kept) == block_room:
            break
        if size <= text_room:
            kept.append(block)
            text_room -= size
            continue
        long_section = block["type"] == "section" and "text" in block
        partial = _first_lines(block["text"]["text"], text_room) if long_section else ""
        if partial:
            kept.append(_section(partial))
        break
    hidden = _lines(content) - _lines(kept)
    note = f"_… and {hidden} more line{'s' if hidden != 1 else ''}: shortened to fit in Slack_"
    return kept + [_context(note)] + tail


def blocks(reply: Reply, *, extra_actions: Iterable[Action] = (), limit: int = MESSAGE_BLOCK_LIMIT) -> list[Block]:
    """The Reply as Block Kit blocks: header, body, fields, button hints, buttons, footer."""
    content: list[Block] = []
    if reply.title.strip():
        content.append({"type": "header", "text": _text("plain_text", clip(reply.title, HEADER_LIMIT))})
    content.extend(_section(piece) for piece in chunks(mrkdwn(full_body(reply)), SECTION_LIMIT))
    content.extend(_field_blocks(reply.fields))
    tail = _action_blocks((*reply.actions, *extra_actions))
    if reply.footer.strip():
        tail.append(_context(escape(reply.footer)))
    return _fit(content, tail, limit)


def fallback_text(reply: Reply) -> str:
    """The notification and screen-reader text: the title and the body's first line, escaped, with
    the body's markdown as mrkdwn (a notification never shows a raw `**`)."""
    first_line = full_body(reply).strip().split("\n", 1)[0]
    title = escape(reply.title)
    return clip(f"{title}: {mrkdwn(first_line)}" if first_line else title, FALLBACK_LIMIT)


def message_payload(reply: Reply) -> dict[str, Any]:
    """Arguments for chat.postMessage / chat.update / chat.postEphemeral (add `channel` and the rest)."""
    return {"text": fallback_text(reply), "blocks": blocks(reply)}


def home_view(reply: Reply, *, extra_actions: Iterable[Action] = ()) -> dict[str, Any]:
    """An App Home tab showing `reply` (the learner's progress) and any extra buttons (Next question)."""
    return {"type": "home", "blocks": blocks(reply, extra_actions=extra_actions, limit=HOME_BLOCK_LIMIT)}


def answer_modal(metadata: str, question_title: str = "") -> dict[str, Any]:
    """The "Write an answer" modal; `metadata` (the action key and where it came from) returns on submit."""
    intro = f"*{escape(question_title)}*\n" if question_title.strip() else ""
    return {
        "type": "modal",
        "callback_id": ANSWER_CALLBACK,
        "private_metadata": metadata,
        "title": _text("plain_text", "Your answer"),
        "submit": _text("plain_text", "Compare"),
        "close": _text("plain_text", "Cancel"),
        "blocks": [
            _section(clip(intro + "Write it as you would say it; then compare it with the key points.", SECTION_LIMIT)),
            {
                "type": "input",
                "block_id": ANSWER_BLOCK,
                "label": _text("plain_text", "Answer"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ANSWER_INPUT,
                    "multiline": True,
                    "max_length": min(MAX_ANSWER_CHARS, INPUT_LIMIT),
                },
            },
        ],
    }
