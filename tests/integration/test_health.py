"""Health and the write guard on a real SQLite file with a pooled engine (as the processes run it)."""

from __future__ import annotations

import os

import pytest

from bot.core.errors import DatabaseUnavailable
from bot.core.practice import LearnerRef
from storage import health
from storage.db import create_engine
from storage.migrate import upgrade
from tests.buttons import key
from tests.conftest import make_app

ADA = LearnerRef("console", "ada", "", "Ada")


@pytest.fixture
async def pooled(tmp_path):
    """The production engine (a pool keeps connections open on the file), not the tests' NullPool."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(engine)
    yield engine
    await engine.dispose()


async def grade_one(app) -> str:
    question = await app.practice.next_question(ADA)
    revealed = await app.practice.reveal(ADA, key(question, "reveal"))
    reply = await app.practice.grade(ADA, key(revealed, "grade", 3))
    return reply.title


async def test_healthy_database_answers_none_on_sqlite_and_postgres(engine):
    assert await health.problem(engine) is None


async def test_a_deleted_sqlite_file_fails_health_and_refuses_the_next_grade(pooled, bank, clock, tmp_path):
    app = make_app(pooled, bank, clock)
    assert await grade_one(app) == "Recorded: Solid"
    assert app.metrics.reviews.labels("console")._value.get() == 1

    (tmp_path / "bot.db").unlink()
    assert await health.problem(pooled) == f"the SQLite file {tmp_path / 'bot.db'} was deleted while the bot was running; restart it"
    with pytest.raises(DatabaseUnavailable, match="was deleted"):
        await grade_one(app)  # before: "Recorded", into a file nobody would read again
    assert app.metrics.database_errors._value.get() >= 1
    assert app.metrics.reviews.labels("console")._value.get() == 1


async def test_a_replaced_sqlite_file_is_noticed_too(pooled, bank, clock, tmp_path):
    app = make_app(pooled, bank, clock)
    assert await grade_one(app) == "Recorded: Solid"
    other = tmp_path / "restored.db"
    other_engine = create_engine(f"sqlite+aiosqlite:///{other}")
    await upgrade(other_engine)
    await other_engine.dispose()
    os.replace(other, tmp_path / "bot.db")  # e.g. a backup restored over the live file
    assert "was replaced" in (await health.problem(pooled) or "")
    with pytest.raises(DatabaseUnavailable, match="was replaced"):
        await grade_one(app)


async def test_a_nearly_full_disk_is_unhealthy(pooled):
    reason = await health.problem(pooled, min_free_bytes=2**62)
    assert reason is not None and "MiB free" in reason


def test_postgresql_out_of_disk_is_told_and_refuses_writes():
    """asyncpg's DiskFullError (SQLSTATE 53100), as SQLAlchemy wraps it: one line saying so, and an
    error that makes a use case answer "not recorded" rather than a traceback."""
    import asyncpg
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    url = make_url("postgresql+asyncpg://app:secret@db.internal:5432/bot")
    driver = asyncpg.exceptions.DiskFullError('could not extend file "base/16384/16402": No space left on device')
    wrapped = DBAPIError("INSERT INTO reviews ...", {}, driver)
    found = health.unavailable(wrapped, url)
    assert isinstance(found, DatabaseUnavailable)
    assert found.reason == "the disk of PostgreSQL at db.internal:5432 is full" and "secret" not in found.reason
