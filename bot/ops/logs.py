"""Logging for every process: one handler on the root logger, a redaction filter on it, text or JSON.

Secrets never reach a log line at any level: the filter masks Slack tokens (xox?-..., xapp-...),
Discord bot tokens, bearer headers, URL passwords and every configured secret value, in the message,
its arguments and any traceback. Libraries that echo whole payloads at DEBUG (request and response
bodies, SQL parameters with tokens and learners' answers) are held at INFO or above whatever
LOG_LEVEL says.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
MASK = "[redacted]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Loggers that write request/response bodies or SQL parameters at DEBUG (and SQLAlchemy's engine
# logs statements with their parameters at INFO): their floor, whatever LOG_LEVEL is.
PAYLOAD_LOGGERS = {
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "discord.http": logging.INFO,
    "discord.gateway": logging.INFO,
    "discord.client": logging.INFO,
    "discord.webhook": logging.INFO,
    "websockets": logging.INFO,
    "aiohttp.client": logging.INFO,
}

TOKEN_PATTERNS = (
    re.compile(r"\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]+"),  # Slack bot/user/refresh tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),  # Slack app-level tokens
    re.compile(r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),  # Discord bot tokens
    re.compile(r"(?i)(?<=bearer )[^\s'\",]+"),  # Authorization: Bearer ...
    re.compile(r"(?<=://)([^/:@\s]*):[^@/\s]+(?=@)"),  # user:password@ in a URL (keeps nothing of either)
    re.compile(r"(?<=[?&]code=)[^&\s\"']+"),  # an OAuth code in a logged URL (the access log's request line)
)

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


@contextmanager
def request_context(rid: str | None) -> Iterator[None]:
    """Log lines written while handling one request or push carry its id (JSON: "request_id")."""
    token = request_id.set(rid)
    try:
        yield
    finally:
        request_id.reset(token)


def _floor(name: str) -> int:
    """The lowest level a logger's records are kept at (its own name or a parent's in PAYLOAD_LOGGERS)."""
    while name:
        if name in PAYLOAD_LOGGERS:
            return PAYLOAD_LOGGERS[name]
        name = name.rpartition(".")[0]
    return logging.NOTSET


class Redact(logging.Filter):
    """Drops payload loggers' records below their floor (some libraries reset their loggers' levels,
    so the floor is enforced here too), masks secrets in what is left before any handler formats it,
    and adds the current request id."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in TOKEN_PATTERNS:
            text = pattern.sub(MASK, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < _floor(record.name):
            return False
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None  # formatted (and masked) once, here
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        rid = request_id.get()
        if rid is not None:
            record.request_id = rid
        return True


class JsonLines(JsonFormatter):
    """One object a line with the fields below only: libraries' `extra` attributes (aiohttp's access
    log adds the request line and headers) would bypass the redaction of the message."""

    FIELDS = ("time", "level", "logger", "message", "request_id", "exc_info", "stack_info")

    def process_log_record(self, log_data: dict) -> dict:
        return {key: log_data[key] for key in self.FIELDS if key in log_data}


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonLines(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: str = "text", secrets: Iterable[str] = ()) -> logging.Handler:
    """Replace the root logger's handlers with one stderr handler that redacts; set the levels."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in PAYLOAD_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, logging.getLevelName(level)))
    return handler
