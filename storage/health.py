"""Is the database usable? One real round trip (a write that is rolled back), the SQLite file's
identity and the free disk beside it; and the one-line explanation of a failure, for /healthz, the
start-up check and Store.transaction. No message ever holds a password."""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import safe_url, sqlite_path
from storage.errors import DatabaseUnavailable
from storage.migrate import upgrade

PROBE_TIMEOUT_S = 5.0
START_TIMEOUT_S = 60.0
MIB = 1024 * 1024
# Touches a row every migrated database has, and rolls back: proves the database answers and takes writes.
_WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num")
# Errors that say the database cannot be used, as opposed to a statement the database refused.
UNAVAILABLE = (OperationalError, InterfaceError, OSError, asyncio.TimeoutError, DatabaseUnavailable)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)


def _cannot_open(url: URL) -> str:
    return f"cannot open the SQLite file {sqlite_path(url)}: check that its folder exists and is writable"


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _known(exc: BaseException, url: URL) -> str | None:
    """What went wrong, in one line naming what to check, for the failures an operator can fix."""
    sqlite = url.get_backend_name() == "sqlite"
    for err in _chain(exc):
        name, message = type(err).__name__, str(err)
        if isinstance(err, DatabaseUnavailable):
            return err.reason
        if "readonly database" in message or "read-only transaction" in message or name == "ReadOnlySQLTransactionError":
            return "the database is read-only, and the bot must write to it: check the file's permissions or the server's read-only setting"
        if "database or disk is full" in message or getattr(err, "errno", None) == errno.ENOSPC:
            return "the disk holding the database is full"
        if getattr(err, "sqlstate", None) == "53100":  # PostgreSQL's disk_full (asyncpg's DiskFullError)
            return f"the disk of PostgreSQL at {_where(url)} is full"
        if "alembic_version" in message and ("no such table" in message or name == "UndefinedTableError"):
            return "the database has no tables yet: run `python -m bot db upgrade` (the release step) first"
        if sqlite and "unable to open database file" in message:
            return _cannot_open(url)
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return f"PostgreSQL at {_where(url)} refused the user name or password in DATABASE_URL"
        if name == "InvalidCatalogNameError":
            return f"PostgreSQL at {_where(url)} has no database {url.database!r}: create it or fix DATABASE_URL"
        if isinstance(err, socket.gaierror):
            return f"the database host {url.host!r} in DATABASE_URL is unknown: check the host name"
        if isinstance(err, ConnectionRefusedError) or getattr(err, "errno", None) == errno.ECONNREFUSED:
            return f"nothing answers at {_where(url)} (connection refused): start PostgreSQL, or fix the host and port in DATABASE_URL"
        if isinstance(err, (TimeoutError, asyncio.TimeoutError)):
            return f"the database at {_where(url)} did not answer in time: check that it is running and reachable"
        if name in ("CannotConnectNowError", "ConnectionDoesNotExistError", "AdminShutdownError"):
            return f"PostgreSQL at {_where(url)} is not accepting connections (starting up or shutting down)"
    return None


def explain(exc: BaseException, url: URL) -> str:
    """One line for any failure: a known one's advice, else the driver's own words (no password)."""
    known = _known(exc, url)
    if known is not None:
        return known
    root = list(_chain(exc))[-1]
    detail = str(root).replace(str(url.password), "***") if url.password else str(root)
    return f"the database at {safe_url(url)} failed: {type(root).__name__}: {detail.splitlines()[0] if detail else ''}"


def unavailable(exc: BaseException, url: URL) -> DatabaseUnavailable | None:
    """A DatabaseUnavailable for an error that means the database cannot be used; None for others
    (a constraint, a bug) which the caller lets through as they are."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    if isinstance(exc, UNAVAILABLE) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return DatabaseUnavailable(explain(exc, url))
    known = _known(exc, url)
    return DatabaseUnavailable(known) if known is not None else None


async def _round_trip(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            await conn.execute(_WRITE_PROBE)
        finally:
            await transaction.rollback()


def _disk_problem(engine: AsyncEngine, min_free_bytes: int) -> str | None:
    if engine.url.get_backend_name() != "sqlite":
        return None
    folder = Path(sqlite_path(engine.url)).resolve().parent
    free = shutil.disk_usage(folder).free
    if free < min_free_bytes:
        return f"the disk holding {folder} has {free // MIB} MiB free (less than {min_free_bytes // MIB} MiB)"
    return None


async def problem(engine: AsyncEngine, *, min_free_bytes: int = 0, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why the database cannot serve the bot now, or None when it can."""
    try:
        async with asyncio.timeout(timeout):
            await _round_trip(engine)
    except Exception as exc:  # noqa: BLE001 - whatever it is, health reports it as a reason
        return explain(exc, engine.url)
    return await asyncio.to_thread(_disk_problem, engine, min_free_bytes)


async def open_database(engine: AsyncEngine, *, migrate: bool) -> None:
    """Start-up: bring the schema up to date (when this process does that) and check that the
    database answers and takes writes. Raises DatabaseUnavailable with one line saying what to fix."""
    if engine.url.get_backend_name() == "sqlite":
        # Checked before connecting: a failed aiosqlite connect leaves its thread racing the loop's close.
        folder = Path(sqlite_path(engine.url)).absolute().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise DatabaseUnavailable(_cannot_open(engine.url))
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            if migrate:
                await upgrade(engine)
            await _round_trip(engine)
    except Exception as exc:
        found = unavailable(exc, engine.url)
        if found is None:
            raise  # not the database's state: a bug, with its traceback
        raise DatabaseUnavailable(found.reason) from None
