"""Where the bot keeps things on this machine: by default, one SQLite file in the user's data folder.

The folder comes from platformdirs (Linux: $XDG_DATA_HOME or ~/.local/share; macOS: ~/Library/
Application Support), so progress is found from any working directory. Before this, the default was
`interview_bot.db` in the working directory; a learner who still has one there gets it copied over,
once, and is told so. Nothing here runs at import time.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import platformdirs

APP_NAME = "interview-practice-bot"
DB_FILENAME = "interview_bot.db"
LEGACY_DB = Path(DB_FILENAME)  # the old default, relative to the working directory


class LocationError(Exception):
    """The default database's folder cannot be made or written; `str()` is one line for the user."""


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return data_dir() / DB_FILENAME


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.expanduser().resolve()}"


def database_url_for(db: str) -> str:
    """`--db`: a SQLAlchemy URL as given, or a file path (relative to the working directory)."""
    return db if "://" in db else sqlite_url(Path(db))


def prepare_default_database(path: Path, legacy: Path = LEGACY_DB) -> str | None:
    """Make the default database's folder and bring over a legacy database once.

    Returns a sentence for the learner when a legacy database was copied, else None. The copy uses
    SQLite's backup API (consistent even with a write-ahead log) into a temporary file that is then
    renamed, so an interrupted copy never leaves a half database behind. The old file is left as it was.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocationError(f"cannot create the folder for your progress, {path.parent}: {exc.strerror}") from None
    if path.exists() or not legacy.is_file() or legacy.resolve() == path.resolve():
        return None
    partial = path.with_name(path.name + ".copying")
    try:
        source = sqlite3.connect(legacy)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        os.replace(partial, path)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise LocationError(f"cannot copy your progress from {legacy.resolve()} to {path}: {exc}") from None
    return (
        f"Your progress now lives in {path} (found from any folder). It was copied from "
        f"{legacy.resolve()}, which is no longer used; delete that file when you like."
    )
