"""Engine and transactions. SQLite gets WAL, foreign keys and a busy timeout on every connection."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

BUSY_TIMEOUT_MS = 5000
# What create_engine raises for a URL it cannot use (unparsable, a driver not installed, :memory:).
BAD_URL = (ArgumentError, ImportError, ValueError)
# What using a database raises when it cannot be reached or opened (refused, unknown host, bad
# password, an unwritable SQLite path).
UNUSABLE = (SQLAlchemyError, OSError, asyncpg.PostgresError)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def printable_url(url: str) -> str:
    """A database URL fit to show: the password hidden, a SQLite URL as its file path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def problem(exc: BaseException) -> str:
    """The first line of what went wrong with a database, without the SQL or a traceback."""
    reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
    return (text.splitlines() or [type(reason).__name__])[0]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if not is_sqlite(url):
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if make_url(url).database in (None, "", ":memory:"):
        raise ValueError("use a SQLite file, not :memory: (each connection would see its own empty database)")
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _begin_immediate).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        # Take the write lock up front: a read-then-write transaction can otherwise fail with
        # SQLITE_BUSY when another connection wrote in between, and busy_timeout cannot help.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def engine_for_tests(url: str) -> AsyncEngine:
    """No pooled connections left behind between event loops."""
    return create_engine(url, poolclass=NullPool)
