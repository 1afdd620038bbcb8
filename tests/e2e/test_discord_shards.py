"""Discord sharding: several `python -m bot discord` processes split one bot's shards on one PostgreSQL.

The loopback Discord routes each server's interactions to the connection of shard
(guild_id >> 22) % shard_count, as Discord does, and refuses an identify it would refuse (4010, 4011).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from sqlalchemy import select

from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.models import PushTarget
from tests.conftest import _fresh_pg_database
from tests.e2e.test_cli import ROOT
from tests.e2e.test_discord import LAUNCH, embed, interact
from tests.fakes.discord_api import CALLBACK, DiscordStandIn
from tests.fakes.discord_payloads import GUILD_ID, MANAGE_GUILD, channel_option, slash

pytestmark = pytest.mark.postgres

ALICE = 500000000000000001
OTHER_GUILD = GUILD_ID + (1 << 22)  # the next shard over when there are two
assert {DiscordStandIn.shard_for(GUILD_ID, 2), DiscordStandIn.shard_for(OTHER_GUILD, 2)} == {0, 1}


@pytest.fixture
async def standin():
    async with DiscordStandIn() as running:
        yield running


@pytest.fixture
async def shared_db(pg_server) -> str:
    url = await _fresh_pg_database(pg_server)
    engine = engine_for_tests(url)
    await upgrade(engine)  # the release step, before any bot process starts
    await engine.dispose()
    return url


async def bot(standin: DiscordStandIn, tmp_path, database_url: str, **settings: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BANK_DIR", "DISCORD"))}
    env |= {"DISCORD_TOKEN": standin.token, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, **settings}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAUNCH, standin.api_base, standin.gateway_url, "discord",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


async def question_in(standin: DiscordStandIn, guild_id: int) -> dict:
    shown = await interact(standin, slash("question", ALICE, guild_id=guild_id, category="databases"))
    return embed(shown)


async def test_two_processes_split_the_shards_and_each_serves_its_own_servers(standin, tmp_path, shared_db):
    first = await bot(standin, tmp_path, shared_db, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0")
    second = await bot(standin, tmp_path, shared_db, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1")
    try:
        await standin.wait_connected(timeout=60, shards=2)
        assert sorted(standin.shards_identified) == [(0, 2), (1, 2)]

        for guild in (GUILD_ID, OTHER_GUILD):
            assert (await question_in(standin, guild))["fields"][0]["value"] == "Databases"
        assert [shard for _, shard in standin.delivered] == [
            DiscordStandIn.shard_for(GUILD_ID, 2),
            DiscordStandIn.shard_for(OTHER_GUILD, 2),
        ]
        # A server-scoped action works on whichever shard its server lands on, into the shared database.
        daily = channel_option(OTHER_GUILD + 99)
        on = await interact(
            standin,
            slash("qotd set", ALICE, guild_id=OTHER_GUILD, permissions=MANAGE_GUILD, channel=daily, time="09:00", timezone="UTC"),
        )
        assert embed(on)["title"] == "Question of the day on"
        engine = engine_for_tests(shared_db)
        async with engine.connect() as conn:
            assert (await conn.execute(select(PushTarget.channel_id))).scalars().all() == [str(OTHER_GUILD + 99)]
        await engine.dispose()

        # Stop the process holding OTHER_GUILD's shard: that server's commands go unanswered (nobody
        # else holds its shard), while the first process keeps serving its own.
        holder = first if DiscordStandIn.shard_for(OTHER_GUILD, 2) == 0 else second
        survivor = second if holder is first else first
        await stop(holder)
        orphan = slash("question", ALICE, guild_id=OTHER_GUILD, category="databases")
        await standin.interact(orphan)
        await asyncio.sleep(standin.response_deadline_s + 0.5)
        assert [r for r in standin.routed(CALLBACK) if r.params["token"] == orphan["token"]] == []
        assert (await question_in(standin, GUILD_ID))["fields"][0]["value"] == "Databases"  # the survivor's shard
        await stop(survivor)
    finally:
        for process in (first, second):
            if process.returncode is None:
                process.kill()


async def test_without_shard_settings_one_process_runs_the_shards_discord_recommends(standin, tmp_path, shared_db):
    standin.recommended_shards = 2
    process = await bot(standin, tmp_path, shared_db)
    try:
        await standin.wait_connected(timeout=60, shards=2)  # discord.py waits 5 s between identifies
        assert standin.shards_identified == [(0, 2), (1, 2)]
        for guild in (GUILD_ID, OTHER_GUILD):
            assert (await question_in(standin, guild))["fields"][0]["value"] == "Databases"
        await stop(process)
    finally:
        if process.returncode is None:
            process.kill()


async def test_too_few_shards_for_the_servers_is_refused_with_one_clear_line(standin, tmp_path, shared_db):
    standin.guild_count = 3000
    process = await bot(standin, tmp_path, shared_db, DISCORD_SHARD_COUNT="1")
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 2
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert lines[-1].startswith("Discord requires sharding"), stderr.decode()
    assert "Traceback" not in stderr.decode()
