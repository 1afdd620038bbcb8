"""Rendering a core Reply for Discord: limits, buttons, mentions, the REST message body."""

from __future__ import annotations

import json
from datetime import date

import discord
import pytest

from bot.adapters.discord import render
from bot.core.actions import ActionKey
from bot.core.replies import Action, Field, File, Reply, question_reply, reveal_reply
from bot.core.scheduling import Rating
from tests.factories import question


def test_a_question_renders_as_an_embed_with_persistent_buttons():
    reply = question_reply(question("db-a"), 3, status="New question")
    embed, view = render.render(reply)
    assert embed.title == "Question db-a"
    assert embed.description == reply.body
    assert embed.colour == render.COLOURS["question"]
    assert [f.name for f in embed.fields] == ["Category", "Level", "Time box", "Topics"]
    assert embed.footer.text == "New question · db-a"
    assert view is not None and view.timeout is None
    buttons = view.children
    assert all(isinstance(b, render.ActionButton) for b in buttons)
    assert [b.custom_id for b in buttons] == ["ipb:reveal:db-a:3", "ipb:answer:db-a:3", "ipb:skip:db-a:3"]
    assert [b.item.label for b in buttons] == ["Reveal key points", "Write an answer", "Skip"]
    assert buttons[0].item.style is discord.ButtonStyle.primary
    assert buttons[0].template.fullmatch(buttons[0].custom_id)["key"] == "reveal:db-a:3"


def test_grade_buttons_carry_their_rating_style_and_meaning():
    reply = reveal_reply(question("db-a"), 2)
    embed, view = render.render(reply)
    keys = [ActionKey.parse(b.custom_id.removeprefix("ipb:")) for b in view.children]
    assert [k.verb for k in keys] == ["grade"] * 4 + ["skip"]
    assert [k.rating for k in keys[:4]] == [1, 2, 3, 4] and {k.version for k in keys} == {2}
    assert [b.item.style for b in view.children[:4]] == [
        discord.ButtonStyle.danger, discord.ButtonStyle.secondary, discord.ButtonStyle.primary, discord.ButtonStyle.success,
    ]  # fmt: skip
    hints = embed.fields[-1]
    assert hints.name == render.HINTS_FIELD
    assert "**Missed it**: missed the key points" in hints.value


def test_grade_buttons_show_the_interval_each_grade_gives():
    intervals = {Rating.AGAIN: 1, Rating.HARD: 2, Rating.GOOD: 4, Rating.EASY: 130}
    reply = reveal_reply(question("db-a"), 2, intervals, date(2026, 3, 2))
    embed, view = render.render(reply)
    assert [b.item.label for b in view.children] == [
        "Missed it · 1d", "Partial · 2d", "Solid · 4d", "Could teach it · 4mo", "Skip",
    ]  # fmt: skip
    assert "**Solid · 4d**: a solid answer that hit the key points; back on Fri 06 Mar 2026 (in 4 days)" in (
        embed.fields[-1].value
    )


def test_every_limit_is_respected_and_cuts_end_in_an_ellipsis():
    reply = Reply(
        title="T" * 300,
        body="B" * 5000,
        fields=tuple(Field(f"name {i} " + "n" * 300, "v" * 2000) for i in range(30)),
        footer="F" * 3000,
    )
    embed = render.embed(reply)
    assert len(embed.title) == 256 and embed.title.endswith("…")
    assert len(embed.footer.text) == 2048
    assert len(embed.description) == 6000 - 256 - 2048 and embed.description.endswith("…")
    assert len(embed) <= render.EMBED_TOTAL_MAX
    assert len(embed.fields) <= 25
    for f in embed.fields:
        assert 0 < len(f.name) <= 256 and 0 < len(f.value) <= 1024
    # Discord accepts it: the dict round-trips through JSON unchanged.
    assert json.loads(json.dumps(embed.to_dict()))["title"] == embed.title


def test_fields_fill_the_total_budget_then_stop_cleanly():
    reply = Reply(title="t", body="b" * 4000, fields=tuple(Field("f", "v" * 1024) for i in range(25)))
    embed = render.embed(reply)
    assert len(embed) <= 6000
    # 6000 - 1 - 4000 leaves room for one whole field and most of a second, cut with "…".
    assert [len(f.value) for f in embed.fields] == [1024, 6000 - 1 - 4000 - 1 - 1024 - 1]
    assert embed.fields[-1].value.endswith("…")


def test_short_text_is_left_alone():
    embed = render.embed(Reply(title="Hello", body="World", fields=(Field("a", "b"),)))
    assert (embed.title, embed.description, embed.fields[0].value) == ("Hello", "World", "b")
    assert embed.footer.text is None


def test_mentions_are_defused_everywhere():
    reply = Reply(
        title="@everyone look",
        body="hi @here and <@123456789012345678>",
        fields=(Field("@everyone", "<@&123456789012345678>"),),
        actions=(Action("@everyone", "next::0"),),
        footer="@here",
    )
    payload = json.dumps(render.message_payload(reply))
    for live in ("@everyone", "@here", "<@123456789012345678>", "<@&123456789012345678>"):
        assert live not in payload
    assert "@\\u200beveryone" in payload


def test_message_payload_is_the_rest_body_with_no_mentions_allowed():
    reply = question_reply(question("db-a"), 0, status="Question of the day")
    payload = render.message_payload(reply)
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["embeds"][0]["title"] == "Question db-a"
    row = payload["components"][0]
    assert row["type"] == 1
    assert [(c["type"], c["custom_id"]) for c in row["components"]] == [
        (2, "ipb:reveal:db-a:0"),
        (2, "ipb:answer:db-a:0"),
        (2, "ipb:skip:db-a:0"),
    ]
    json.dumps(payload)  # serialisable as is


def test_a_reply_without_actions_has_no_view_and_no_components():
    reply = Reply(title="All caught up", body="Nothing due.")
    assert render.render(reply)[1] is None
    assert "components" not in render.message_payload(reply)


def test_buttons_wrap_into_rows_of_five_and_stop_at_25():
    actions = tuple(Action(f"topic {i}", ActionKey("topic", f"t{i}", 0).encode()) for i in range(30))
    payload = render.message_payload(Reply(title="Topics", actions=actions))
    rows = payload["components"]
    assert len(rows) == 5 and all(len(r["components"]) == 5 for r in rows)


def test_files_become_attachments_but_not_a_json_body():
    reply = Reply(title="Chart", files=(File("progress.png", b"\x89PNG", "Your progress"),))
    [attached] = render.attachments(reply)
    assert attached.filename == "progress.png" and attached.fp.read() == b"\x89PNG"
    with pytest.raises(ValueError):
        render.message_payload(reply)


def test_a_reply_that_is_only_a_file_has_no_embed():
    assert render.render(Reply(title="", files=(File("my-data.json", b"{}"),))) == (None, None)


def test_the_learners_answer_is_echoed_escaped_above_the_key_points():
    revealed = reveal_reply(question("db-a"), 0)
    shown = render.with_answer(revealed, "  Use **an index** @everyone\n" + "x" * 2000)
    first = shown.fields[0]
    assert first.name == render.ANSWER_FIELD and first.inline is False
    assert first.value.startswith("Use \\*\\*an index\\*\\* @\u200beveryone")
    assert len(first.value) == 1024 and first.value.endswith("…")
    assert shown.fields[1:] == revealed.fields
    assert render.with_answer(revealed, "   ") is revealed


def test_unknown_kind_and_style_fall_back_quietly():
    embed, view = render.render(Reply(title="x", kind="mystery", actions=(Action("go", "next::0", "weird"),)))
    assert embed.colour is None
    assert view.children[0].item.style is discord.ButtonStyle.secondary


def test_a_shared_question_offers_one_button_that_opens_a_private_copy():
    reply = question_reply(question("db-a"), 3, status="New question")
    shared = render.shared(reply)
    assert [(a.label, a.key) for a in shared.actions] == [(render.OPEN_LABEL, "open:db-a:0")]
    assert (shared.title, shared.body, shared.fields) == (reply.title, reply.body, reply.fields)
    info = Reply(title="All caught up")
    assert render.shared(info) is info


@pytest.mark.parametrize(
    ("code", "words"), [(50007, "DMs are closed"), (50278, "no longer share a server"), (None, "just now")]
)
def test_a_failed_confirmation_dm_says_why_and_that_nothing_was_lost(code, words):
    reply = Reply(title="Subscribed", body="Daily at 08:30.")
    noted = render.dm_failed(reply, code)
    assert noted.title == "Subscribed" and noted.body == reply.body
    assert words in noted.fields[-1].value and render.DM_KEPT in noted.fields[-1].value


def test_a_bank_export_is_a_yaml_attachment():
    reply = render.bank_export("schema_version: 1\nquestions: []\n")
    [attached] = render.attachments(reply)
    assert attached.filename == "questions.yaml" and attached.fp.read().startswith(b"schema_version: 1")


def test_a_notice_for_the_asker_shows_privately_but_never_in_a_shared_post():
    reply = Reply(
        title="Design a URL shortener", body="Sketch it.", kind="question",
        actions=(Action("Reveal key points", ActionKey("reveal", "sd-url", 2).encode()),),
        notice="Your daily question is paused: DMs closed.",
    )  # fmt: skip
    private, _ = render.render(reply)
    assert private.description.startswith("**Your daily question is paused")
    public, _ = render.render(render.shared(reply))
    assert "paused" not in public.description
