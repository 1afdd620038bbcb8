"""What storage tells its callers when the database itself cannot be used."""

from __future__ import annotations


class DatabaseUnavailable(Exception):
    """The database cannot be used right now: down or unreachable, read-only, its disk full, or (SQLite)
    its file deleted or replaced under the running process. Nothing was written. `reason` is one
    line for an operator and never holds a password."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
