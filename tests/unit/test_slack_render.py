"""Slack Block Kit rendering: escaping, Slack's limits, buttons carrying action keys.

Limits are checked with slack-sdk's own Block Kit models (validate_json raises on any excess), so
the test does not restate the renderer's constants.
"""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.adapters.slack.render import answer_modal, blocks, escape, home_view, message_payload, mrkdwn
from bot.core.actions import ActionKey
from bot.core.replies import Action, Field, Reply, grade_actions, next_action, question_reply, reveal_reply
from tests.factories import question


def valid(rendered: list[dict]) -> list[dict]:
    for block in rendered:
        Block.parse(block).validate_json()
    return rendered


def buttons(rendered: list[dict]) -> list[dict]:
    return [e for b in rendered if b["type"] == "actions" for e in b["elements"]]


def all_text(rendered: list[dict]) -> str:
    return json.dumps(rendered)


def test_question_renders_header_prompt_fields_buttons_and_footer():
    q = question("db-a")
    rendered = valid(blocks(question_reply(q, 3, status="New question")))
    assert rendered[0] == {"type": "header", "text": {"type": "plain_text", "text": q.title, "emoji": True}}
    assert rendered[1]["text"]["text"] == q.prompt
    assert any(f["text"] == "*Level*\nMid" for f in rendered[2]["fields"])
    ids = [b["action_id"] for b in buttons(rendered)]
    assert ids == ["ipb:reveal:db-a:3", "ipb:answer:db-a:3", "ipb:skip:db-a:3"]
    assert buttons(rendered)[0]["style"] == "primary" and "style" not in buttons(rendered)[1]
    assert rendered[-1]["type"] == "context" and "db-a" in rendered[-1]["elements"][0]["text"]


def test_grade_buttons_spell_out_their_interview_meaning():
    rendered = valid(blocks(reveal_reply(question("db-a"), 0)))
    grades = [b for b in buttons(rendered) if b["action_id"].startswith("ipb:grade:")]
    assert [ActionKey.parse(b["value"]).rating for b in grades] == [1, 2, 3, 4]
    assert {b.get("style") for b in grades} == {"danger", None, "primary"}  # no "success" in Slack
    hints = next(b for b in rendered if b["type"] == "context" and "Missed it" in b["elements"][0]["text"])
    assert "*Solid*: a solid answer that hit the key points" in hints["elements"][0]["text"]


def test_user_text_cannot_mention_anyone():
    evil = "<!channel> ping <@U123> & <https://x.example|click>"
    reply = Reply(title=evil, body=f"**{evil}**", fields=(Field(evil, evil),), footer=evil)
    rendered = valid(blocks(reply))
    text = all_text(rendered[1:])  # the header is plain_text, which Slack never parses for mentions
    assert "<!channel>" not in text and "<@U123>" not in text and "<https" not in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text
    payload = message_payload(reply)
    assert payload["text"].startswith("&lt;!channel&gt;")
    mrkdwn = [t for t in _text_objects(rendered) if t["type"] == "mrkdwn"]
    assert mrkdwn and all(t.get("verbatim") is True for t in mrkdwn)  # a plain "@here" is never auto-parsed


def _text_objects(node):
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            yield node
        for value in node.values():
            yield from _text_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from _text_objects(item)


def test_the_notification_text_is_mrkdwn_too():
    payload = message_payload(Reply(title="Your link code", body="**042917**\nEnter it within 10 minutes."))
    assert payload["text"] == "Your link code: *042917*"


def test_markdown_becomes_mrkdwn():
    assert mrkdwn("**bold** and _italic_\n• a bullet") == "*bold* and _italic_\n• a bullet"
    assert mrkdwn("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"
    assert escape("<&>") == "&lt;&amp;&gt;"


def test_long_text_is_split_not_lost_and_limits_hold():
    body = "\n".join(f"line {i} " + "x" * 90 for i in range(100))  # ~10,000 characters
    reply = Reply(title="T" * 400, body=body, fields=tuple(Field(f"f{i}", "v" * 2500) for i in range(25)))
    rendered = valid(blocks(reply))
    assert len(rendered[0]["text"]["text"]) == 150
    sections = [b["text"]["text"] for b in rendered if b["type"] == "section" and "text" in b]
    assert "\n".join(sections).count("line ") == 100  # every line kept, over several sections
    field_rows = [b for b in rendered if b["type"] == "section" and "fields" in b]
    assert [len(b["fields"]) for b in field_rows] == [10, 10, 5]


def test_too_many_blocks_keeps_buttons_and_footer():
    fields = tuple(Field(f"wide {i}", "value", inline=False) for i in range(80))
    reply = Reply(title="Many", fields=fields, actions=(next_action(None),), footer="the footer")
    rendered = valid(blocks(reply))
    assert len(rendered) == 50
    assert rendered[-2]["type"] == "actions" and rendered[-1]["elements"][0]["text"] == "the footer"
    assert any("shortened" in b["elements"][0]["text"] for b in rendered if b["type"] == "context")


def test_repeated_keys_render_once_and_escapes_are_never_cut():
    reply = Reply(title="x", actions=(next_action(None), next_action(None)), body="&" * 5000)
    rendered = valid(blocks(reply))
    assert len(buttons(rendered)) == 1
    for b in rendered:
        if b["type"] == "section":
            assert b["text"]["text"].rstrip("…").endswith("&amp;")


def test_home_view_adds_next_question_and_is_a_valid_view():
    stats = Reply(title="Your progress", fields=(Field("Due today", "2"),))
    view = home_view(stats, extra_actions=(next_action(None),))
    View(**view).validate_json()
    assert view["type"] == "home"
    assert [b["action_id"] for b in buttons(view["blocks"])] == ["ipb:next::0"]


def test_answer_modal_round_trips_its_metadata():
    key = grade_actions("db-a", 2)[0].key
    modal = answer_modal(json.dumps({"key": key}), "Question <db-a>")
    View(**modal).validate_json()
    assert json.loads(modal["private_metadata"]) == {"key": key}
    assert "&lt;db-a&gt;" in modal["blocks"][0]["text"]["text"]
    assert modal["blocks"][1]["element"]["max_length"] == 3000  # Slack's ceiling: views.open fails above it


def test_every_button_fits_slack_limits():
    long_label = Action("L" * 200, ActionKey("topic", "t" * 60, 0).encode(), "success", hint="h" * 500)
    rendered = valid(blocks(Reply(title="x", actions=(long_label,))))
    (b,) = buttons(rendered)
    assert len(b["text"]["text"]) <= 75 and len(b["action_id"]) <= 100 and "style" not in b
