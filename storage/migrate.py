"""Apply Alembic migrations programmatically, on the application's own async engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _sqlite_pragma(sync_connection: Any, pragma: str) -> list[Any]:
    """Run a PRAGMA on the driver connection, outside any transaction (where foreign_keys is a no-op)."""
    cursor = sync_connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
        return list(cursor.fetchall())
    finally:
        cursor.close()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations in one transaction.

    On SQLite, foreign keys are off while migrating: a batch migration rebuilds a table by copying
    it and dropping the original, and with foreign keys on, dropping `learners` would cascade into
    every card and review. Integrity is checked before the transaction commits instead.
    """

    def _run(sync_connection: Any) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_connection
        command.upgrade(cfg, revision)
        if sync_connection.dialect.name == "sqlite":
            broken = _sqlite_pragma(sync_connection, "foreign_key_check")
            if broken:
                raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")

    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.run_sync(_sqlite_pragma, "foreign_keys=OFF")
        try:
            async with conn.begin():
                await conn.run_sync(_run)
        finally:
            if sqlite:
                await conn.run_sync(_sqlite_pragma, "foreign_keys=ON")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None for an empty database."""

    def _current(sync_connection: Any) -> str | None:
        return MigrationContext.configure(sync_connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def pending(engine: AsyncEngine) -> bool:
    """True when the database is behind the newest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return await current_revision(engine) != head
