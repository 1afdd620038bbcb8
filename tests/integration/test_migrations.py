"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from storage.db import engine_for_tests
from storage.migrate import pending, upgrade
from storage.models import Base
from tests.conftest import _fresh_pg_database


async def test_migrated_schema_matches_the_models(engine):
    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn, opts={"compare_type": True}), Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert not await pending(engine)
    await upgrade(engine)  # idempotent


async def test_sqlite_pragmas(tmp_path):
    engine = engine_for_tests(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    async with engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    return await _fresh_pg_database(request.getfixturevalue("pg_server"))


async def test_upgrading_a_database_in_use_keeps_every_learner_card_and_review(empty_url):
    """0003 rebuilds `learners` on SQLite; with foreign keys on, that would cascade into cards and reviews."""
    engine = engine_for_tests(empty_url)
    await upgrade(engine, "0002")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO learners (id, platform, platform_user_id, workspace, display_name, preferences, created_at)"
                " VALUES (1, 'console', 'ana', '', 'Ana', '{}', '2026-01-01 08:00:00')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO cards (id, learner_id, question_id, state, due, version, reps, lapses, introduced_on)"
                " VALUES (1, 1, 'db-a', 2, '2026-01-04', 1, 1, 0, '2026-01-01')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO reviews (card_id, learner_id, question_id, rating, reviewed_at, review_date, card_version,"
                " scheduled_days, stability, difficulty, idempotency_key)"
                " VALUES (1, 1, 'db-a', 3, '2026-01-01 08:05:00', '2026-01-01', 0, 3, 3.2, 5.1, '1:db-a:0')"
            )
        )
    await upgrade(engine)
    async with engine.connect() as conn:
        counts = [(await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar() for t in ("learners", "cards", "reviews")]
        assert counts == [1, 1, 1]
        if engine.dialect.name == "sqlite":  # and the connection is left enforcing foreign keys
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await engine.dispose()


async def test_stored_discord_names_which_may_be_a_servers_nickname_are_cleared(empty_url):
    engine = engine_for_tests(empty_url)
    await upgrade(engine, "0004_slack_oauth")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO learners (platform, platform_user_id, workspace, display_name, preferences, created_at,"
                " leaderboard_opt_out) VALUES ('discord', '1', '', 'Nick in server A', '{}', '2026-01-01 08:00:00',"
                " false), ('slack', 'U1', 'T1', 'ana', '{}', '2026-01-01 08:00:00', false)"
            )
        )
    await upgrade(engine)
    async with engine.connect() as conn:
        names = (await conn.execute(text("SELECT platform, display_name FROM learners ORDER BY platform"))).all()
    await engine.dispose()
    assert [tuple(n) for n in names] == [("discord", ""), ("slack", "ana")]
