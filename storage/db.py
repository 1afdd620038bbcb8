"""Engine and transactions. SQLite gets WAL, foreign keys and a busy timeout on every connection."""

from __future__ import annotations

import os
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.errors import DatabaseUnavailable

BUSY_TIMEOUT_MS = 5000
# What create_engine raises for a URL it cannot use (unparsable, a driver not installed, :memory:).
BAD_URL = (ArgumentError, ImportError, ValueError)
# What using a database raises when it cannot be reached or opened (refused, unknown host, bad
# password, an unwritable SQLite path).
UNUSABLE = (SQLAlchemyError, OSError, asyncpg.PostgresError)
CONNECT_TIMEOUT_S = 10  # PostgreSQL: an unreachable host fails within this, not asyncpg's 60 s
EXAMPLES = "sqlite+aiosqlite:///./interview_bot.db or postgresql+asyncpg://user:password@host:5432/database"


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
def url_problem(url: str) -> str | None:
    """Why `url` cannot be used as DATABASE_URL, in one line that never repeats the URL (it may hold a
    password); None when it can."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"cannot be read as a database URL; write it as {EXAMPLES}"
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        return f"{parsed.drivername} is not a database SQLAlchemy knows; use {EXAMPLES}"
    except ImportError as exc:
        return f"the driver for {parsed.drivername} ({exc.name}) is not installed; use {EXAMPLES}"
    if not getattr(dialect, "is_async", False):
        return f"{parsed.drivername} is not an asyncio driver; use {EXAMPLES}"
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return "use a SQLite file, not :memory: (each connection would see its own empty database)"
    return None


def url_password(url: str) -> str | None:
    try:
        return make_url(url).password
    except ArgumentError:
        return None


def safe_url(url: str | URL) -> str:
    """The URL with its password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str | URL) -> str:
    """The file a SQLite URL names (`file:` URIs included)."""
    database = make_url(url).database or ""
    return database.removeprefix("file:").split("?", 1)[0]


class SqliteFile:
    """The database file a SQLite engine opened. A file deleted or replaced under a running process
    keeps taking writes on the open (now nameless) file, which are lost at exit; so the identity of
    the file at the path (st_dev, st_ino) is taken when the first connection opens it and compared
    before every transaction and every new connection."""

    def __init__(self, path: str):
        self.path = path
        self.identity: tuple[int, int] | None = None

    def _current(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def problem(self) -> str | None:
        current = self._current()
        if self.identity is None or current == self.identity:
            return None
        if current is None:
            return f"the SQLite file {self.path} was deleted while the bot was running; restart it"
        return f"the SQLite file {self.path} was replaced while the bot was running; restart it"

    def opened(self) -> None:
        if self.identity is None:
            self.identity = self._current()
        self.check()

    def check(self) -> None:
        problem = self.problem()
        if problem is not None:
            raise DatabaseUnavailable(problem)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    problem = url_problem(url)
    if problem is not None:
        raise ValueError(f"DATABASE_URL: {problem}")
    if not is_sqlite(url):
        if make_url(url).get_backend_name() == "postgresql":
            kwargs.setdefault("connect_args", {}).setdefault("timeout", CONNECT_TIMEOUT_S)
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_async_engine(url, **kwargs)
    db_file = SqliteFile(sqlite_path(url))

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        db_file.opened()
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
        db_file.check()  # never write to a file that is no longer the database
        # Take the write lock up front: a read-then-write transaction can otherwise fail with
        # SQLITE_BUSY when another connection wrote in between, and busy_timeout cannot help.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def engine_for_tests(url: str) -> AsyncEngine:
    """No pooled connections left behind between event loops."""
    return create_engine(url, poolclass=NullPool)
