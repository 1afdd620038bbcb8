"""The one translation point every adapter shares: a use case's reply, or the friendly text for what
went wrong. Expected errors (a stale button, bad input, the database unavailable) become their
reply; anything else is a bug, logged with its traceback and answered "Something went wrong"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from bot.core.errors import EXPECTED, DatabaseUnavailable, DomainError
from bot.core.replies import Reply, error_reply
from bot.ops.metrics import Tracked

log = logging.getLogger(__name__)


async def settle(work: Awaitable[Reply | None], tracked: Tracked | None = None) -> Reply | None:
    """`tracked` (the interaction's metrics) is marked failed when nothing useful could be done."""
    try:
        return await work
    except EXPECTED as exc:
        if isinstance(exc, DatabaseUnavailable):
            log.error("not recorded, the database is unavailable: %s", exc.reason)
            if tracked is not None:
                tracked.fail()
        return error_reply(exc)
    except Exception:
        log.exception("a request failed")
        if tracked is not None:
            tracked.fail()
        return error_reply(DomainError())
