"""Linking identities, export and forget-me on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.core.accounts import CODE_GUESSES, GLOBAL_GUESSES, identity_hash
from bot.core.actions import ActionKey
from bot.core.errors import InvalidInput, NotAllowed, StaleAction
from bot.core.practice import LearnerRef
from storage.models import (
    Base,
    Card,
    CustomQuestion,
    Delivery,
    InboundEvent,
    Learner,
    LinkGuess,
    LinkCode,
    PushTarget,
    Review,
)
from tests.buttons import key
from tests.factories import question
from tests.integration.test_progress import review

ANA_DISCORD = LearnerRef("discord", "100", "", "Ana")
ANA_SLACK = LearnerRef("slack", "U100", "T1", "ana")
BO = LearnerRef("discord", "200", "", "Bo")
GOOD, AGAIN = 3, 1


def code_of(reply) -> str:
    match = re.search(r"\*\*(\d{6})\*\*", reply.body)
    assert match, reply.body
    return match.group(1)


async def rows(engine, stmt) -> list:
    async with engine.connect() as conn:
        return list(await conn.execute(stmt))


async def learner_id(engine, who: LearnerRef) -> int:
    (row,) = await rows(
        engine, select(Learner.id).where(Learner.platform == who.platform, Learner.platform_user_id == who.user_id)
    )
    return row.id


def wrong_code(code: str) -> str:
    """Another 6-digit code than `code`."""
    return f"{(int(code) + 1) % 10**6:06d}"


async def counts(engine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in Base.metadata.sorted_tables
        }


async def add_dm_target(engine, learner: int, recipient: str, platform: str, now: datetime) -> None:
    async with engine.begin() as conn:
        target = await conn.execute(
            insert(PushTarget).values(
                key=f"dm:{learner}", kind="dm", platform=platform, learner_id=learner, recipient=recipient,
                local_time="08:00", timezone="UTC", categories=[], active=True, updated_at=now,
            ).returning(PushTarget.id)
        )  # fmt: skip
        await conn.execute(
            insert(Delivery).values(
                target_id=target.scalar_one(), local_date=now.date(), status="sent", claimed_at=now, attempts=1
            )
        )


async def test_a_code_is_six_digits_stored_only_as_a_hash(app, engine):
    reply = await app.accounts.link_code(ANA_DISCORD)
    code = code_of(reply)
    assert reply.private
    (stored,) = await rows(engine, select(LinkCode.code_hash, LinkCode.expires_at, LinkCode.created_at))
    assert stored.code_hash == hashlib.sha256(code.encode()).hexdigest() and code not in stored.code_hash
    assert stored.expires_at - stored.created_at == timedelta(minutes=10)
    await app.accounts.link_code(ANA_DISCORD)  # a new code replaces the unused one
    assert len(await rows(engine, select(LinkCode.id))) == 1


async def test_linking_makes_one_learner_with_one_schedule(app, engine, clock):
    await review(app, ANA_DISCORD, "db-a", GOOD)
    await review(app, ANA_SLACK, "db-b", GOOD, tenant="slack:T1")
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    linked = await app.accounts.link(ANA_SLACK, f" {code[:3]} {code[3:]} ")  # spaces are forgiven
    assert linked.title == "Accounts linked"
    assert "Brought over: 1 question and 1 review" in linked.body
    discord_id = await learner_id(engine, ANA_DISCORD)
    (slack,) = await rows(engine, select(Learner.merged_into).where(Learner.platform == "slack"))
    assert slack.merged_into == discord_id
    for who in (ANA_DISCORD, ANA_SLACK):  # either identity sees the one history
        fields = {f.name: f.value for f in (await app.progress.stats(who)).fields}
        assert fields["Reviews"] == "2 (2 today)"
    # One schedule: a question graded on one platform is not new on the other.
    clock.advance(days=1)
    served = await app.practice.show(ANA_SLACK, "db-a")
    graded = await app.practice.grade(
        ANA_SLACK, key(await app.practice.reveal(ANA_SLACK, key(served, "reveal")), "grade", GOOD)
    )
    assert graded.kind == "graded"
    assert {r.learner_id for r in await rows(engine, select(Review.learner_id))} == {discord_id}
    with pytest.raises(InvalidInput, match="already linked"):
        await app.accounts.link(ANA_DISCORD, code_of(await app.accounts.link_code(ANA_SLACK)))


@pytest.mark.parametrize("slack_is_newer", [True, False])
async def test_merging_keeps_every_review_and_the_most_recently_reviewed_card(app, engine, clock, slack_is_newer):
    first, second = (ANA_DISCORD, ANA_SLACK) if slack_is_newer else (ANA_SLACK, ANA_DISCORD)
    for _ in range(2):  # the first identity grades db-a twice, a day apart
        await review(app, first, "db-a", GOOD)
        clock.advance(days=1)
    clock.advance(days=1)
    await review(app, second, "db-a", AGAIN)  # ...the other once, later: its schedule is the one kept
    newest = await rows(engine, select(Card.id, Card.due, Card.stability).where(Card.last_review == clock.now().date()))
    await app.accounts.link(ANA_SLACK, code_of(await app.accounts.link_code(ANA_DISCORD)))

    (card,) = await rows(engine, select(Card.id, Card.due, Card.stability, Card.version, Card.learner_id))
    assert (card.id, card.due, card.stability) == tuple(newest[0])
    assert card.version == 2  # past both cards' versions
    assert card.learner_id == await learner_id(engine, ANA_DISCORD)
    reviews = await rows(engine, select(Review.card_id, Review.rating).order_by(Review.reviewed_at))
    assert [r.rating for r in reviews] == [GOOD, GOOD, AGAIN] and {r.card_id for r in reviews} == {card.id}
    # Grading the kept card goes on from there: no grade key of either history is reused.
    clock.advance(days=2)
    for who in (ANA_SLACK, ANA_DISCORD):
        await review(app, who, "db-a", GOOD)
    assert len(await rows(engine, select(Review.id))) == 5


async def test_wrong_expired_reused_and_own_codes_are_refused_clearly(app, engine, clock):
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    wrong = wrong_code(code)
    with pytest.raises(InvalidInput, match="not right"):
        await app.accounts.link(ANA_SLACK, wrong)
    with pytest.raises(InvalidInput, match="6 digits"):
        await app.accounts.link(ANA_SLACK, "12345x")
    with pytest.raises(InvalidInput, match="belongs to this account"):
        await app.accounts.link(ANA_DISCORD, code)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(InvalidInput, match="expired"):
        await app.accounts.link(ANA_SLACK, code)
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    await app.accounts.link(ANA_SLACK, code)
    with pytest.raises(InvalidInput, match="already used"):
        await app.accounts.link(BO, code)
    # Wrong, expired and reused codes count as wrong guesses; a malformed or own code does not.
    guesses = await rows(engine, select(LinkGuess.identity_hash, LinkGuess.guessed_at))
    assert sorted(g.identity_hash for g in guesses) == sorted([identity_hash(ANA_SLACK)] * 2 + [identity_hash(BO)])


async def test_guessing_is_rate_limited(app, engine, clock):
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    wrong = wrong_code(code)
    for _ in range(5):
        with pytest.raises(InvalidInput):
            await app.accounts.link(ANA_SLACK, wrong)
        clock.advance(minutes=1)
    with pytest.raises(NotAllowed, match="Try again in 10 minutes"):  # the first guess ages out at 15 min
        await app.accounts.link(ANA_SLACK, code)  # even the right code
    clock.advance(minutes=10)
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    assert (await app.accounts.link(ANA_SLACK, code)).title == "Accounts linked"


async def test_forget_me_does_not_reset_the_guess_limit(app, engine, clock):
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    for _ in range(5):
        with pytest.raises(InvalidInput):
            await app.accounts.link(BO, wrong_code(code))
        prompt = await app.accounts.forget_prompt(BO)  # the old way round the limit: a fresh learner
        await app.buttons.press(BO, prompt.actions[0].key)
    with pytest.raises(NotAllowed, match="Too many wrong codes"):
        await app.accounts.link(BO, code)  # even the right code, until the limit has passed
    assert await rows(engine, select(Learner.id).where(Learner.platform_user_id == "200")) != []
    stored = await rows(engine, select(LinkGuess.identity_hash))
    assert {g.identity_hash for g in stored} == {identity_hash(BO)}  # the hash, and nothing about Bo


async def test_a_code_dies_after_a_few_wrong_guesses_from_any_accounts(app, engine, clock):
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    wrong = wrong_code(code)
    for n in range(CODE_GUESSES):  # each from a different account: no identity reaches its own limit
        with pytest.raises(InvalidInput, match="not right"):
            await app.accounts.link(LearnerRef("discord", f"9{n:03d}"), wrong)
    with pytest.raises(InvalidInput, match="code was locked"):
        await app.accounts.link(ANA_SLACK, code)
    fresh = code_of(await app.accounts.link_code(ANA_DISCORD))  # a new code starts clean
    assert (await app.accounts.link(ANA_SLACK, fresh)).title == "Accounts linked"


async def test_linking_pauses_for_everyone_after_many_wrong_guesses(app, engine, clock):
    now = clock.now()
    async with engine.begin() as conn:  # the last hour's wrong codes, from many accounts
        await conn.execute(
            insert(LinkGuess),
            [{"identity_hash": f"{n:064x}", "guessed_at": now - timedelta(minutes=50)} for n in range(GLOBAL_GUESSES)],
        )
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    with pytest.raises(NotAllowed, match="linking is paused for everyone. Try again in 10 minutes"):
        await app.accounts.link(ANA_SLACK, code)
    clock.advance(minutes=9)
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    with pytest.raises(NotAllowed):
        await app.accounts.link(ANA_SLACK, code)
    clock.advance(minutes=1, seconds=1)  # the oldest of them is an hour old
    code = code_of(await app.accounts.link_code(ANA_DISCORD))
    assert (await app.accounts.link(ANA_SLACK, code)).title == "Accounts linked"


async def test_a_daily_dm_moves_over_or_is_dropped_when_there_is_one_already(app, engine, clock):
    await review(app, ANA_DISCORD, "db-a", GOOD)
    await review(app, ANA_SLACK, "db-b", GOOD)
    await review(app, BO, "db-a", GOOD)
    discord_id, slack_id, bo_id = [await learner_id(engine, w) for w in (ANA_DISCORD, ANA_SLACK, BO)]
    await add_dm_target(engine, slack_id, "U100", "slack", clock.now())
    await add_dm_target(engine, bo_id, "200", "discord", clock.now())
    linked = await app.accounts.link(ANA_SLACK, code_of(await app.accounts.link_code(ANA_DISCORD)))
    assert "daily question" not in linked.body
    (target,) = await rows(
        engine,
        select(PushTarget.key, PushTarget.learner_id, PushTarget.recipient).where(PushTarget.recipient == "U100"),
    )
    assert tuple(target) == (f"dm:{discord_id}", discord_id, "U100")  # still goes to the Slack DM

    linked = await app.accounts.link(BO, code_of(await app.accounts.link_code(ANA_DISCORD)))
    assert "the one set up from this account is stopped" in linked.body
    targets = await rows(engine, select(PushTarget.key))
    assert [t.key for t in targets] == [f"dm:{discord_id}"]
    assert len(await rows(engine, select(Delivery.id))) == 1  # Bo's deliveries went with his target


async def test_export_holds_everything_about_the_learner(app, engine, clock):
    reply = await app.practice.next_question(ANA_DISCORD)
    answer_key = ActionKey("answer", reply.footer.rsplit("· ", 1)[-1], 0).encode()
    revealed = await app.practice.submit_answer(ANA_DISCORD, answer_key, "My written answer")
    await app.practice.grade(ANA_DISCORD, key(revealed, "grade", GOOD))
    await review(app, ANA_SLACK, "db-b", AGAIN, tenant="slack:T1")
    await app.accounts.link(ANA_SLACK, code_of(await app.accounts.link_code(ANA_DISCORD)))
    await add_dm_target(engine, await learner_id(engine, ANA_DISCORD), "100", "discord", clock.now())
    await review(app, BO, "db-c", GOOD)  # someone else's data stays out

    exported = await app.accounts.export(ANA_SLACK)
    (file,) = exported.files
    assert file.filename == "my-data.json"
    data = json.loads(file.data)
    assert set(data) == {
        "format", "exported_at", "learner", "identities", "cards", "reviews", "subscriptions", "study_plan",
        "mock_interviews",
    }  # fmt: skip
    assert data["study_plan"] == []  # no goal, pace or fit of their own
    assert [(i["platform"], i["platform_user_id"]) for i in data["identities"]] == [
        ("discord", "100"),
        ("slack", "U100"),
    ]
    assert (
        sorted(c["question_id"] for c in data["cards"]) == sorted({r["question_id"] for r in data["reviews"]})
        and len(data["cards"]) == 2
    )
    assert [r["answer_text"] for r in data["reviews"]] == ["My written answer", None]
    assert [r["tenant"] for r in data["reviews"]] == [None, "slack:T1"]
    assert data["subscriptions"][0]["local_time"] == "08:00"
    assert data["reviews"][0]["review_date"] == clock.now().date().isoformat()
    assert "db-c" not in file.data.decode() and "code_hash" not in file.data.decode()
    assert exported.body.startswith("2 questions, 2 reviews, 2 linked accounts, 1 daily question")


async def test_forget_me_deletes_every_row_about_the_learner_and_nothing_else(app, engine, clock):
    now = clock.now()
    # Someone else, and data that belongs to a server, not a learner.
    await review(app, BO, "db-a", GOOD, tenant="discord:G1")
    await add_dm_target(engine, await learner_id(engine, BO), "200", "discord", now)
    async with engine.begin() as conn:
        await conn.execute(insert(InboundEvent).values(key="slack:Ev1", seen_at=now))
        # Server-owned rows Ana set up: they stay, without her name.
        await conn.execute(
            insert(PushTarget).values(
                key="channel:discord:C1", kind="channel", platform="discord", tenant="discord:G1", channel_id="C1",
                local_time="09:00", timezone="UTC", categories=[], active=True, updated_at=now, created_by="100",
            )
        )  # fmt: skip
        await conn.execute(
            insert(CustomQuestion).values(
                tenant="discord:G1",
                slug="ours",
                document=question("ours").model_dump(mode="json", exclude_none=True),
                created_by="discord:100",
                updated_at=now,
            )
        )
    bo_code = code_of(await app.accounts.link_code(BO))
    before = await counts(engine)

    # Ana, on two linked platforms, with every kind of row.
    await review(app, ANA_DISCORD, "db-a", GOOD, tenant="discord:G1")
    await review(app, ANA_SLACK, "db-b", GOOD, tenant="slack:T1")
    with pytest.raises(InvalidInput):
        await app.accounts.link(ANA_SLACK, wrong_code(bo_code))  # a failed attempt
    await app.accounts.link(ANA_SLACK, code_of(await app.accounts.link_code(ANA_DISCORD)))
    await app.accounts.link_code(ANA_DISCORD)  # an unused one too
    await add_dm_target(engine, await learner_id(engine, ANA_DISCORD), "100", "discord", now)
    await app.practice.show(ANA_SLACK, "db-c")
    mock = await app.mocks.start(ANA_DISCORD, "databases")
    await app.mocks.add_notes(ANA_DISCORD, next(a.key for a in mock.actions if a.key.startswith("mnote:")), "Notes")
    during = await counts(engine)
    for table in (
        "learners", "cards", "reviews", "push_targets", "deliveries", "link_codes", "link_guesses", "mocks",
        "mock_steps",
    ):  # fmt: skip
        assert during[table] > before[table], table

    prompt = await app.accounts.forget_prompt(ANA_SLACK)
    (button,) = prompt.actions
    assert button.style == "danger" and ActionKey.parse(button.key).verb == "forget"
    with pytest.raises(StaleAction):  # a confirmation shown to Ana deletes nothing when Bo clicks it
        await app.buttons.press(BO, button.key)
    gone = await app.buttons.press(ANA_DISCORD, button.key)
    assert gone.title == "Your data is deleted"
    assert gone.body.startswith("Deleted 2 reviews, 3 questions, 2 accounts and 1 daily question.")
    # Everything goes but the wrong code Ana entered: counted by identity hash, it outlives her account.
    assert await counts(engine) == {**before, "link_guesses": before["link_guesses"] + 1}
    authors = await rows(engine, select(PushTarget.created_by).where(PushTarget.kind == "channel"))
    authors += await rows(engine, select(CustomQuestion.created_by))
    assert [a.created_by for a in authors] == ["", ""]
    with pytest.raises(StaleAction, match="already deleted"):  # a second click
        await app.buttons.press(ANA_SLACK, button.key)
    assert (await app.accounts.forget_prompt(ANA_SLACK)).title == "Nothing stored"
    clock.advance(minutes=1)
    fresh = {f.name: f.value for f in (await app.progress.stats(ANA_SLACK)).fields}
    assert fresh["Reviews"] == "0 (0 today)"
    # Ana starts again (SQLite may hand her the old id): the old confirmation no longer applies.
    with pytest.raises(StaleAction, match="another account"):
        await app.buttons.press(ANA_SLACK, button.key)
    assert (await counts(engine))["learners"] == before["learners"] + 1
