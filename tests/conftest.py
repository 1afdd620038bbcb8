from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.bootstrap import App, build
from bot.core.catalog import Catalog
from bot.core.practice import Practice, PracticeConfig
from bot.core.scheduling import Scheduler
from bot.settings import Settings
from question_bank.loader import Bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.repositories import Store
from tests import pg
from tests.factories import small_bank


class FixedClock:
    """The clock the core sees in tests: set and moved by hand."""

    def __init__(self, now: datetime):
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        assert now.tzinfo is not None
        self._now = now.astimezone(timezone.utc)

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)


def default_database(tmp_path: Path) -> Path:
    """Where a process started by a test keeps its default SQLite database (see `_data_home`)."""
    return tmp_path / "xdg-data" / "interview-practice-bot" / "interview_bot.db"


@pytest.fixture(autouse=True)
def _data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user data folder (platformdirs, XDG on Linux) inside the test's own tmp_path: a test, or a
    process it starts, never writes the real home's practice database."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pg.PgServer]:
    server = pg.start()
    if isinstance(server, str):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {server}")
        pytest.skip(server)
    yield server
    server.stop()


_db_counter = itertools.count()


async def _fresh_pg_database(server: pg.PgServer) -> str:
    import asyncpg

    name = f"t{os.getpid()}_{next(_db_counter)}"
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres", database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A migrated, empty database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        url = await _fresh_pg_database(request.getfixturevalue("pg_server"))
    engine = engine_for_tests(url)
    await upgrade(engine)
    await engine.dispose()
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator:
    engine = engine_for_tests(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def bank() -> Bank:
    return small_bank()


def make_practice(engine, bank: Bank, clock, *, cap: int = 5, tz: str = "UTC") -> Practice:
    return Practice(
        store=Store(engine),
        catalog=Catalog(bank),
        scheduler=Scheduler(desired_retention=0.9, fuzz=False),
        clock=clock,
        config=PracticeConfig(default_timezone=tz, rollover_hour=4, daily_new_cap=cap),
    )


@pytest.fixture
def practice(engine, bank, clock) -> Practice:
    return make_practice(engine, bank, clock)


def make_app(engine, bank: Bank, clock, *, cap: int = 5, tz: str = "UTC") -> App:
    """The whole application as bootstrap wires it, on a test engine, bank and clock (fuzz off)."""
    settings = Settings(_env_file=None, DAILY_NEW_CAP=cap, DEFAULT_TIMEZONE=tz, FSRS_FUZZ=False)
    return build(settings, bank=bank, engine=engine, clock=clock)


@pytest.fixture
def app(engine, bank, clock) -> App:
    return make_app(engine, bank, clock)
