"""Hardening, end to end on Discord: the real discord.py client against the stand-in, which refuses
what Discord refuses (upload size, autocomplete choices, embed fields), so an overflow fails here;
link-code guessing that forget-me cannot reset; names and links that stay where they belong."""

from __future__ import annotations

import gzip
import json

from bot.bootstrap import build
from bot.settings import Settings
from question_bank.loader import DATA_DIR, Bank, load_bank
from tests.e2e.test_discord import (  # noqa: F401  (fixtures)
    ALICE,
    BOB,
    Running,
    app,
    button,
    discord_api,
    embed,
    interact,
    running,
    standin,
)
from tests.fakes.discord_api import CALLBACK, FOLLOWUP
from tests.fakes.discord_payloads import MANAGE_GUILD, attachment_option, autocomplete, click, modal_submit, slash


def limited(payload: dict, limit: int) -> dict:
    """An interaction from a server whose uploads are limited to `limit` bytes."""
    return {**payload, "attachment_size_limit": limit}


async def answer_and_grade(standin, text: str, user_id: int = ALICE) -> None:
    question = (await interact(standin, slash("question", user_id))).response
    shown = await interact(standin, modal_submit(button(question, "answer"), {"answer": text}, user_id))
    await interact(standin, click(shown.response, button(shown.response, "grade", 3), user_id))


async def test_an_export_over_the_upload_limit_comes_compressed_in_parts(running):
    standin = running.standin
    # Answers that compress poorly: the export stays over the limit even gzipped.
    answers = [" ".join(f"{n * 7919 % 100003:x}" for n in range(i * 500, i * 500 + 500)) for i in range(3)]
    for text in answers:
        await answer_and_grade(standin, text)
    payload = limited(slash("export-my-data", ALICE), 4096)
    shown = await interact(standin, payload)
    assert shown.status == 200, shown.response
    [first] = shown.files
    total = first.rsplit("of", 1)[1]
    await standin.wait_for(lambda r: r.route == FOLLOWUP and any(n.endswith(f"part{total}of{total}") for n in r.files))
    parts = [r for r in standin.recorded if r.params.get("token") == payload["token"] and r.files]
    names = [name for r in parts for name in r.files]
    assert len(names) == int(total) > 1 and all(n.startswith("my-data.json.gz.part") for n in names)
    assert all(r.status == 200 and len(data) <= 4096 for r in parts for data in r.files.values())
    assert "parts" in embed(shown)["description"]
    joined = b"".join(r.files[name] for r in parts for name in sorted(r.files))
    document = json.loads(gzip.decompress(joined))
    assert [r["answer_text"] for r in document["reviews"]] == answers  # nothing lost


async def test_a_bank_export_over_the_upload_limit_comes_compressed(running):
    standin = running.standin
    questions = "\n".join(
        f"""  - id: db-big-{i}
    category: databases
    title: "A long question {i}"
    prompt: "{'A scenario worth discussing at length, with many constraints. ' * 20}"
    level: mid
    difficulty: medium
    time_box_minutes: 10
    topics: [indexing]
    key_points: ["First key point", "Second key point", "Third key point"]
    outline: ["Step one", "Step two", "Step three"]
    follow_ups: [{{question: "Why?", probes: reasoning}}, {{question: "What else?", probes: breadth}}]
    pitfalls: ["A pitfall"]
    hints: ["A hint"]"""
        for i in range(20)
    )
    text = f"schema_version: 1\nquestions:\n{questions}\n"
    upload = attachment_option(standin.host_attachment("big.yaml", text.encode()))
    imported = await interact(standin, slash("bank import", ALICE, permissions=MANAGE_GUILD, file=upload))
    assert embed(imported)["title"] == "Questions imported", embed(imported)
    exported = await interact(standin, limited(slash("bank export", ALICE, permissions=MANAGE_GUILD), 8192))
    assert exported.status == 200, exported.response
    [(name, data)] = exported.files.items()
    assert name == "questions.yaml.gz" and len(data) <= 8192
    assert gzip.decompress(data).count(b"- id: db-big-") == 20


async def test_category_autocomplete_stays_within_discords_limits_whatever_is_typed(running):
    standin = running.standin
    typed = ", ".join(["databases"] * 20) + ", b"  # 200+ characters
    payload = autocomplete("subscribe", ALICE, "categories", typed, time="08:00")
    await standin.interact(payload)
    answered = await standin.wait_for_route(CALLBACK, token=payload["token"])
    assert answered.status == 200, answered.response
    assert [c["value"] for c in answered.body["data"]["choices"]] == ["databases, behavioral", "databases, backend"]


async def test_a_long_star_guidance_is_split_across_fields_not_cut(app, discord_api, clock):
    shipped = load_bank([DATA_DIR / "behavioral" / "a-conflict.yaml"]).get("bh-conflict-colliding-team-goals")
    assert shipped is not None
    star = shipped.star
    assert star is not None
    one_question = build(Settings(_env_file=None, FSRS_FUZZ=False), bank=Bank((shipped,)), engine=app.engine, clock=clock)
    bot = Running(one_question, discord_api)
    await bot.start()
    try:
        question = (await interact(discord_api, slash("question", ALICE))).response
        revealed = await interact(discord_api, click(question, button(question, "reveal"), ALICE))
    finally:
        await bot.stop()
    assert revealed.status == 200, revealed.response
    fields = embed(revealed)["fields"]
    start = next(i for i, f in enumerate(fields) if f["name"] == "STAR guidance")
    shown = fields[start]["value"]
    for f in fields[start + 1 :]:
        if f["name"] != "\u200b":
            break
        shown += "\n" + f["value"]
    assert len(shown) > 1024 and "…" not in shown
    for text in (star.situation, star.task, star.action, star.result, star.reflection):
        assert " ".join(text.split()) in " ".join(shown.split())


async def test_forget_me_between_wrong_link_codes_does_not_reset_the_limit(running):
    standin = running.standin
    code = embed(await interact(standin, slash("link", ALICE)))["description"].split("**")[1]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        refused = await interact(standin, slash("link", BOB, code=wrong))
        assert embed(refused)["title"] == "Please check that"
        prompt = await interact(standin, slash("forget-me", BOB))
        deleted = await interact(standin, click(prompt.response, button(prompt.response, "forget"), BOB))
        assert embed(deleted)["title"] == "Your data is deleted"
    limited_now = await interact(standin, slash("link", BOB, code=code))
    assert embed(limited_now)["title"] == "Not allowed"
    assert embed(limited_now)["description"].startswith("Too many wrong codes. Try again in")


async def practise_in(standin, guild_id: int, user_id: int, name: str, nick: str | None = None) -> None:
    """Ask, reveal and grade a question in one server, as a member named `name` (nicknamed `nick` there)."""
    member = {"guild_id": guild_id, "user_name": name}
    question = (await interact(standin, slash("question", user_id, nick=nick, **member))).response
    shown = await interact(standin, click(question, button(question, "reveal"), user_id, **member))
    await interact(standin, click(shown.response, button(shown.response, "grade", 3), user_id, **member))


async def test_a_nickname_from_one_server_never_shows_on_another_and_names_follow_changes(running):
    standin = running.standin
    server_a, server_b = 710000000000000001, 710000000000000002
    await practise_in(standin, server_a, ALICE, "alice", nick="Ali from the night shift")  # first contact
    await practise_in(standin, server_b, ALICE, "alice")
    await practise_in(standin, server_b, BOB, "bob")
    board = embed(await interact(standin, slash("leaderboard", BOB, guild_id=server_b, user_name="bob", period="all")))
    assert "Alice" in board["description"] and "night shift" not in board["description"]
    await interact(standin, slash("stats", ALICE, guild_id=server_a, user_name="alicia"))  # renamed on Discord
    board = embed(await interact(standin, slash("leaderboard", BOB, guild_id=server_b, user_name="bob", period="all")))
    assert "Alicia" in board["description"] and "Alice" not in board["description"]
