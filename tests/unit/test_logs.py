"""The redaction filter and the JSON format, on real logging handlers."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from bot.ops.logs import MASK, PAYLOAD_LOGGERS, Redact, configure, formatter, request_context
from bot.settings import Settings

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A0123-4567-abcdef0123"
SLACK_REFRESH = "xoxe.xoxp-1-Mi0yLTE2NTg"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"


@pytest.fixture
def capture():
    """A logger whose records go through a handler with the filter, as configure() sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("test.redaction")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)

    def use(fmt: str = "text", secrets: tuple[str, ...] = ()) -> tuple[logging.Logger, io.StringIO]:
        handler.setFormatter(formatter(fmt))
        for f in list(handler.filters):
            handler.removeFilter(f)
        handler.addFilter(Redact(secrets))
        return logger, stream

    yield use
    logger.removeHandler(handler)


@pytest.mark.parametrize("token", [SLACK_BOT, SLACK_APP, SLACK_REFRESH, DISCORD])
def test_platform_tokens_are_masked_in_messages_arguments_and_tracebacks(capture, token):
    logger, stream = capture()
    logger.debug("response: %s", {"ok": True, "access_token": token})
    try:
        raise RuntimeError(f"auth failed for {token}")
    except RuntimeError:
        logger.exception("Authorization: Bearer %s", token)
    out = stream.getvalue()
    assert token not in out and out.count(MASK) >= 3
    assert "RuntimeError: auth failed for " + MASK in out  # the traceback is still there, masked


def test_configured_secrets_and_url_passwords_are_masked(capture):
    logger, stream = capture(secrets=("signing-secret-abc", "pw-in-url"))
    logger.info("verifying with signing-secret-abc")
    logger.warning("cannot reach postgresql+asyncpg://bot:other-pw@db:5432/x")
    out = stream.getvalue()
    assert "signing-secret-abc" not in out and "other-pw" not in out
    assert "postgresql+asyncpg://" + MASK + "@db:5432/x" in out


def test_settings_list_every_configured_secret_including_the_database_password():
    settings = Settings(
        _env_file=None, DISCORD_TOKEN="d-token", SLACK_SIGNING_SECRET="s-secret",
        DATABASE_URL="postgresql+asyncpg://bot:db-pass@127.0.0.1/bot",
    )  # fmt: skip
    assert set(settings.secret_values()) == {"d-token", "s-secret", "db-pass"}


def test_json_lines_parse_carry_the_request_id_and_nothing_else(capture):
    logger, stream = capture("json", secrets=("hunter2",))
    with request_context("discord:42"):
        logger.info("graded with hunter2 and %s", SLACK_BOT, extra={"headers": {"Authorization": "hunter2"}})
    logger.error("no request here")
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert set(first) == {"time", "level", "logger", "message", "request_id"}
    assert first["request_id"] == "discord:42" and first["level"] == "INFO" and first["logger"] == "test.redaction"
    assert first["message"] == f"graded with {MASK} and {MASK}"
    assert "request_id" not in second
    assert "hunter2" not in stream.getvalue()


def test_payload_loggers_stay_at_info_even_at_debug_whatever_their_own_level():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        handler = configure("DEBUG")
        stream = io.StringIO()
        handler.setStream(stream)
        for name, floor in PAYLOAD_LOGGERS.items():
            assert logging.getLogger(name).getEffectiveLevel() == floor
        aiosqlite = logging.getLogger("aiosqlite")
        aiosqlite.setLevel(logging.DEBUG)  # as slack_bolt does to its own loggers
        aiosqlite.debug("executing INSERT ... ('an answer', 'xoxb-...')")
        logging.getLogger("slack_bolt.app").debug("request body: ...")
        logging.getLogger("bot.example").debug("our own debug line")
        assert stream.getvalue().count("\n") == 1 and "our own debug line" in stream.getvalue()
    finally:
        for h in root.handlers[:]:
            root.removeHandler(h)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])
        for name in PAYLOAD_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.parametrize(
    "name,value",
    [("LOG_LEVEL", "LOUD"), ("LOG_FORMAT", "xml"), ("DATABASE_URL", "postgres//bot:pw-5f1e@db"),
     ("DATABASE_URL", "mysql+aiomysql://bot:pw-5f1e@db/x")],
)  # fmt: skip
def test_bad_logging_and_database_settings_are_refused_by_name_without_echoing_them(name, value):
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, **{name: value})
    assert [e["loc"] for e in raised.value.errors()] == [(name,)]
    assert value not in str(raised.value) and "pw-5f1e" not in str(raised.value)
