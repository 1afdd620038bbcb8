"""A server's own questions: same validation, size limits, scoped to that server, removable."""

from __future__ import annotations

import pytest
import yaml

from bot.core.actions import ActionKey
from bot.core.custom import CustomQuestionService, PlainDumper
from bot.core.errors import InvalidBank, InvalidInput, NotAllowed, StaleAction, UnknownQuestion
from bot.core.practice import LearnerRef
from bot.core.progress import Progress
from question_bank.isolated import IsolatedParser
from question_bank.loader import Bank
from storage.repositories import Store
from tests.conftest import make_practice
from tests.factories import question
from tests.buttons import qid
from tests.hostile_yaml import DEEP_NESTING, RECURSIVE_ALIAS, alias_bomb
from tests.integration.test_practice import answer

ONE = """\
schema_version: 1
questions:
  - id: our-deploy-runbook
    category: backend
    title: Walk through our deploy runbook
    prompt: >
      Our team ships the ticketing API twice a day from a single pipeline. A new hire asks what
      happens between merge and production and where it can go wrong. Explain it.
    level: junior
    difficulty: easy
    time_box_minutes: 10
    topics: [ci-cd]
    key_points: [Build once and promote the artifact, Smoke tests gate each stage, One-click rollback]
    outline: [Merge, Build, Promote]
    follow_ups:
      - question: What if the smoke test is flaky?
        probes: judgement about gates
      - question: Who can roll back?
        probes: ownership
    pitfalls: [Rebuilding per environment]
    hints: [Think artifacts]
"""

GUILD_A, GUILD_B = "discord:111", "discord:222"


@pytest.fixture
def custom(engine, clock) -> CustomQuestionService:
    return CustomQuestionService(Store(engine), clock, IsolatedParser())


@pytest.fixture
def only_db_bank() -> Bank:
    return Bank((question("db-shipped"),))


async def test_a_tenants_question_is_never_served_to_another_tenant(engine, clock, custom, only_db_bank):
    await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="ours.yaml", data=ONE.encode())
    practice = make_practice(engine, only_db_bank, clock, cap=50)
    outsider = LearnerRef("discord", "42")
    # Someone practising in guild B (or with no guild) exhausts everything visible to them.
    for tenant in (GUILD_B, None):
        served = set()
        for _ in range(5):
            reply = await practice.next_question(outsider, tenant=tenant)
            if reply.kind == "question":
                served.add(qid(reply))
        assert all("our-deploy-runbook" not in s for s in served)
        backend = await practice.next_question(outsider, "backend", tenant=tenant)
        assert backend.kind == "info"
    # Knowing the id does not help either.
    member_a = LearnerRef("discord", "7")
    in_a = await practice.next_question(member_a, "backend", tenant=GUILD_A)
    custom_id = qid(in_a)
    assert custom_id.startswith("our-deploy-runbook~")
    with pytest.raises(UnknownQuestion):
        await practice.show(outsider, custom_id, tenant=GUILD_B)
    with pytest.raises(UnknownQuestion):
        await practice.reveal(outsider, ActionKey("reveal", custom_id, 0).encode(), tenant=GUILD_B)
    with pytest.raises(StaleAction):
        await practice.grade(outsider, ActionKey("grade", custom_id, 0, 3).encode(), tenant=GUILD_B)
    # In its own server it works end to end.
    graded = await answer(practice, member_a, in_a, 3, tenant=GUILD_A)
    assert graded.kind == "graded"


async def test_the_same_slug_in_two_tenants_are_two_questions(engine, clock, custom, only_db_bank):
    for guild in (GUILD_A, GUILD_B):
        await custom.import_yaml(guild, is_admin=True, actor="admin", filename="ours.yaml", data=ONE.encode())
    practice = make_practice(engine, only_db_bank, clock)
    who = LearnerRef("discord", "9")
    a = qid(await practice.next_question(who, "backend", tenant=GUILD_A))
    b = qid(await practice.next_question(who, "backend", tenant=GUILD_B))
    assert a != b and a.split("~")[0] == b.split("~")[0] == "our-deploy-runbook"


async def test_import_uses_the_bank_messages_and_stores_nothing_on_error(engine, clock, custom, only_db_bank):
    broken = ONE.replace("level: junior", "level: intern") + ONE.split("questions:\n")[1].replace("our-deploy-runbook", "second")
    with pytest.raises(InvalidBank) as exc:
        await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="upload.yaml", data=broken.encode())
    assert [str(e) for e in exc.value.errors] == [
        "upload.yaml:9: our-deploy-runbook: level: must be one of 'junior', 'mid', 'senior' or 'staff'"
    ]
    practice = make_practice(engine, only_db_bank, clock)
    assert (await practice.next_question(LearnerRef("discord", "1"), "backend", tenant=GUILD_A)).kind == "info"


async def test_import_limits_and_permissions(custom):
    with pytest.raises(NotAllowed):
        await custom.import_yaml(GUILD_A, is_admin=False, actor="member", filename="x.yaml", data=ONE.encode())
    with pytest.raises(InvalidInput, match="limited to 1 MiB"):
        await custom.import_yaml(GUILD_A, is_admin=True, actor="a", filename="big.yaml", data=b"#" * (1024 * 1024 + 1))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        await custom.import_yaml(GUILD_A, is_admin=True, actor="a", filename="bin.yaml", data=b"\xff\xfe\x00")
    body = yaml.safe_load(ONE)
    template = body["questions"][0]
    body["questions"] = [{**template, "id": f"q-{i}"} for i in range(501)]
    with pytest.raises(InvalidInput, match="at most 500"):
        await custom.import_yaml(GUILD_A, is_admin=True, actor="a", filename="many.yaml", data=yaml.dump(body, Dumper=PlainDumper).encode())
    dup = ONE + ONE.split("questions:\n")[1]
    with pytest.raises(InvalidBank) as exc:
        await custom.import_yaml(GUILD_A, is_admin=True, actor="a", filename="dup.yaml", data=dup.encode())
    second_id_line = dup.splitlines().index("  - id: our-deploy-runbook", 3) + 1
    assert [str(e) for e in exc.value.errors] == [
        f"dup.yaml:{second_id_line}: our-deploy-runbook: id: duplicate id (first defined at dup.yaml:3)"
    ]


async def test_remove_keeps_history_and_export_round_trips(engine, clock, custom, only_db_bank):
    await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="ours.yaml", data=ONE.encode())
    exported = await custom.export_yaml(GUILD_A, is_admin=True)
    assert yaml.safe_load(exported)["questions"][0]["id"] == "our-deploy-runbook"
    practice = make_practice(engine, only_db_bank, clock)
    who = LearnerRef("discord", "5")
    reply = await practice.next_question(who, "backend", tenant=GUILD_A)
    await answer(practice, who, reply, 3, tenant=GUILD_A)
    with pytest.raises(NotAllowed):
        await custom.remove(GUILD_A, "our-deploy-runbook", is_admin=False)
    await custom.remove(GUILD_A, "our-deploy-runbook", is_admin=True)
    with pytest.raises(InvalidInput):
        await custom.remove(GUILD_A, "our-deploy-runbook", is_admin=True)
    stats = {f.name: f.value for f in (await Progress(practice).stats(who, tenant=GUILD_A)).fields}
    assert stats["Reviews"] == "1 (1 today)"  # history kept
    clock.advance(days=90)
    assert (await practice.next_question(who, "backend", tenant=GUILD_A, reviews_only=True)).kind == "info"
    # Re-importing the export brings it back.
    await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="back.yaml", data=exported.encode())
    assert (await practice.next_question(who, "backend", tenant=GUILD_A)).kind == "question"


@pytest.mark.parametrize("text", [alias_bomb(), RECURSIVE_ALIAS, DEEP_NESTING], ids=["bomb", "recursive", "deep"])
async def test_a_hostile_file_is_refused_with_its_line_and_stores_nothing(engine, custom, text):
    with pytest.raises(InvalidBank) as exc:
        await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="evil.yaml", data=text.encode())
    [error] = exc.value.errors
    assert str(error).startswith("evil.yaml:2: ")
    assert "aliases" in error.message or "nested more than" in error.message
    async with Store(engine).transaction() as repo:
        assert await repo.custom_stamp(GUILD_A) == (0, None)

async def test_imports_without_levels_or_probes_still_work_and_take_the_questions_level(custom):
    # ONE has bare key points and follow-ups that name no key points, as files written before levels did.
    await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="ours.yaml", data=ONE.encode())
    (stored,) = yaml.safe_load(await custom.export_yaml(GUILD_A, is_admin=True))["questions"]
    assert [kp["level"] for kp in stored["key_points"]] == ["junior", "junior", "junior"]
    assert all("key_points" not in f or f["key_points"] == [] for f in stored["follow_ups"])
    # A point that names its own level keeps it.
    richer = ONE.replace("key_points: [Build once", "key_points: [{text: Build once and promote the artifact, level: mid}, Build once")
    richer = richer.replace("Build once and promote the artifact, Smoke", "Smoke")
    await custom.import_yaml(GUILD_A, is_admin=True, actor="admin", filename="ours.yaml", data=richer.encode())
    (stored,) = yaml.safe_load(await custom.export_yaml(GUILD_A, is_admin=True))["questions"]
    assert [kp["level"] for kp in stored["key_points"]] == ["mid", "junior", "junior"]
