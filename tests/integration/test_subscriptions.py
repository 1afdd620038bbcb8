"""Subscriptions and questions of the day on a real database (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.core.errors import InvalidInput, NotAllowed
from bot.core.practice import LearnerRef
from bot.core.subscriptions import Subscriptions, parse_time
from storage.models import Learner, PushTarget
from storage.repositories import Store

ANNA = LearnerRef("discord", "1001", display_name="Anna")
SLACKER = LearnerRef("slack", "U77", "T9", "Sam")
ADMIN = LearnerRef("discord", "42")


@pytest.fixture
def subs(practice) -> Subscriptions:
    return Subscriptions(practice)


async def target(engine, key: str):
    async with Store(engine).transaction() as repo:
        return await repo.push_target(key)


async def targets(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(PushTarget))).scalar_one()


async def learner_id(engine, who: LearnerRef) -> int:
    async with Store(engine).transaction() as repo:
        found = await repo.learner(who.platform, who.user_id, who.workspace)
    assert found is not None
    return found.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:30", (8, 30)), ("8:30", (8, 30)), ("20:00", (20, 0)), ("0:05", (0, 5)), ("8am", (8, 0)),
     ("8:30pm", (20, 30)), ("12am", (0, 0)), ("12pm", (12, 0)), ("12:15 AM", (0, 15)), ("7.45", (7, 45))],
)  # fmt: skip
def test_times_people_write(text, expected):
    parsed = parse_time(text)
    assert (parsed.hour, parsed.minute) == expected


@pytest.mark.parametrize("text", ["25:00", "8", "8:60", "13pm", "0am", "noonish", "", "08:30:00"])
def test_times_that_are_refused_say_how_to_write_one(text):
    with pytest.raises(InvalidInput) as err:
        parse_time(text)
    assert "HH:MM" in err.value.message


async def test_bad_time_zone_or_category_is_refused_and_nothing_is_stored(subs, engine):
    with pytest.raises(InvalidInput) as bad_time:
        await subs.subscribe(ANNA, "31:00", "Europe/Berlin")
    assert "31:00" in bad_time.value.message
    with pytest.raises(InvalidInput) as bad_zone:
        await subs.subscribe(ANNA, "08:30", "Europe/Atlantis")
    assert "Europe/Atlantis" in bad_zone.value.message and "IANA" in bad_zone.value.message
    with pytest.raises(InvalidInput) as bad_category:
        await subs.subscribe(ANNA, "08:30", "Europe/Berlin", ["databases", "cooking"])
    assert "cooking" in bad_category.value.message and "system_design" in bad_category.value.message
    assert await targets(engine) == 0


async def test_subscribe_stores_the_target_and_says_the_next_push_in_local_time(subs, engine, clock):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))  # 13:00 in Berlin
    reply = await subs.subscribe(ANNA, "8:30pm", "Europe/Berlin", ["Databases", "system design"], dm_channel_id="D1")
    assert reply.title == "Daily question on"
    assert "**20:30** (Europe/Berlin)" in reply.body and "System design, Databases" in reply.body
    assert "Mon 02 Mar at 20:30 (today)" in reply.body
    lid = await learner_id(engine, ANNA)
    t = await target(engine, f"dm:{lid}")
    assert (t.kind, t.platform, t.tenant, t.recipient, t.channel_id) == ("dm", "discord", None, "1001", "D1")
    assert (t.local_time, t.timezone, t.categories, t.active) == ("20:30", "Europe/Berlin", ["system_design", "databases"], True)
    assert t.next_push_at == datetime(2026, 3, 2, 19, 30, tzinfo=timezone.utc)
    async with engine.connect() as conn:
        assert (await conn.execute(select(Learner.timezone).where(Learner.id == lid))).scalar_one() == "Europe/Berlin"


async def test_resubscribing_updates_the_one_target(subs, engine, clock):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))
    await subs.subscribe(ANNA, "20:30", "Europe/Berlin", dm_channel_id="D1")
    reply = await subs.subscribe(ANNA, "7am", categories=["behavioral"])  # zone: the one saved before
    assert reply.title == "Daily question updated"
    assert "Tue 03 Mar at 07:00 (tomorrow)" in reply.body
    t = await target(engine, f"dm:{await learner_id(engine, ANNA)}")
    assert (t.local_time, t.timezone, t.categories, t.channel_id) == ("07:00", "Europe/Berlin", ["behavioral"], "D1")
    assert t.next_push_at == datetime(2026, 3, 3, 6, 0, tzinfo=timezone.utc)
    assert await targets(engine) == 1


async def test_without_a_zone_the_default_is_used(engine, bank, clock):
    from tests.conftest import make_practice

    subs = Subscriptions(make_practice(engine, bank, clock, tz="America/New_York"))
    reply = await subs.subscribe(ANNA, "09:00")
    assert "(America/New_York)" in reply.body
    t = await target(engine, f"dm:{await learner_id(engine, ANNA)}")
    assert t.timezone == "America/New_York"


async def test_a_slack_subscription_keeps_its_workspace_for_the_token(subs, engine):
    await subs.subscribe(SLACKER, "08:00", "Asia/Tokyo", tenant="slack:T9")
    t = await target(engine, f"dm:{await learner_id(engine, SLACKER)}")
    assert (t.platform, t.tenant, t.recipient) == ("slack", "slack:T9", "U77")


async def test_only_chat_platforms_can_subscribe(subs, engine):
    with pytest.raises(InvalidInput):
        await subs.subscribe(LearnerRef("console", "me"), "08:00", "UTC")
    assert await targets(engine) == 0


async def test_unsubscribe_stops_the_pushes_and_says_so_once(subs, engine):
    await subs.subscribe(ANNA, "08:00", "UTC")
    assert (await subs.unsubscribe(ANNA)).title == "Daily question stopped"
    t = await target(engine, f"dm:{await learner_id(engine, ANNA)}")
    assert (t.active, t.next_push_at) == (False, None)
    assert (await subs.unsubscribe(ANNA)).title == "Not subscribed"
    assert (await subs.subscribe(ANNA, "08:00", "UTC")).title == "Daily question on"


async def test_snooze_pauses_for_whole_days_and_zero_resumes(subs, engine, clock):
    clock.set(datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc))  # Monday, before the 08:00 push
    with pytest.raises(InvalidInput):
        await subs.snooze(ANNA, 3)  # nothing to snooze yet
    await subs.subscribe(ANNA, "08:00", "UTC")
    reply = await subs.snooze(ANNA, 3)
    assert reply.title == "Daily question snoozed" and "Thu 05 Mar at 08:00 (in 3 days)" in reply.body
    key = f"dm:{await learner_id(engine, ANNA)}"
    t = await target(engine, key)
    assert t.paused_until == date(2026, 3, 5)
    assert t.next_push_at == datetime(2026, 3, 5, 8, 0, tzinfo=timezone.utc)
    changed = await subs.subscribe(ANNA, "09:00")  # a new time keeps the snooze
    assert "Paused until Thu 05 Mar" in changed.body
    assert (await target(engine, key)).next_push_at == datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
    resumed = await subs.snooze(ANNA, 0)
    assert resumed.title == "Daily question resumed" and "Mon 02 Mar at 09:00 (today)" in resumed.body
    t = await target(engine, key)
    assert (t.paused_until, t.next_push_at) == (None, datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    for days in (-1, 366):
        with pytest.raises(InvalidInput):
            await subs.snooze(ANNA, days)


async def test_question_of_the_day_is_for_admins_only(subs, engine):
    with pytest.raises(NotAllowed):
        await subs.qotd_set(ANNA, tenant="discord:7", channel_id="C1", time="09:00", timezone="UTC", is_admin=False)
    assert await targets(engine) == 0
    await subs.qotd_set(ADMIN, tenant="discord:7", channel_id="C1", time="09:00", timezone="UTC", is_admin=True)
    with pytest.raises(NotAllowed):
        await subs.qotd_off(ANNA, tenant="discord:7", is_admin=False)
    assert (await target(engine, "channel:discord:C1")).active


async def test_question_of_the_day_set_update_and_off(subs, engine, clock):
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))
    first = await subs.qotd_set(ADMIN, tenant="discord:7", channel_id="C1", time="9am", timezone="Europe/Berlin", is_admin=True)
    assert first.title == "Question of the day on" and "Tue 03 Mar at 09:00 (tomorrow)" in first.body
    t = await target(engine, "channel:discord:C1")
    assert (t.kind, t.tenant, t.channel_id, t.learner_id, t.local_time) == ("channel", "discord:7", "C1", None, "09:00")
    again = await subs.qotd_set(ADMIN, tenant="discord:7", channel_id="C1", time="18:00", timezone="Europe/Berlin", is_admin=True)
    assert again.title == "Question of the day updated" and "Mon 02 Mar at 18:00 (today)" in again.body
    await subs.qotd_set(ADMIN, tenant="discord:7", channel_id="C2", time="10:00", timezone="UTC", is_admin=True)
    with pytest.raises(NotAllowed):  # another server cannot take the channel over
        await subs.qotd_set(ADMIN, tenant="discord:8", channel_id="C1", time="10:00", timezone="UTC", is_admin=True)
    assert (await subs.qotd_off(ADMIN, tenant="discord:8", channel_id="C1", is_admin=True)).title == "Nothing to turn off"
    one = await subs.qotd_off(ADMIN, tenant="discord:7", channel_id="C1", is_admin=True)
    assert "1 channel" in one.body
    assert not (await target(engine, "channel:discord:C1")).active
    assert (await target(engine, "channel:discord:C2")).active
    rest = await subs.qotd_off(ADMIN, tenant="discord:7", is_admin=True)
    assert "1 channel" in rest.body and not (await target(engine, "channel:discord:C2")).active


def test_timezone_autocomplete(subs):
    assert subs.timezones("Europe/Ber")[0] == "Europe/Berlin"
    assert subs.timezones("berl") == ["Europe/Berlin"]
    assert subs.timezones("new york")[0] == "America/New_York"
    assert "UTC" in subs.timezones("utc")
    assert len(subs.timezones("", limit=25)) == 25
    assert len(subs.timezones("america", limit=5)) == 5
    assert subs.timezones("no such place") == []
