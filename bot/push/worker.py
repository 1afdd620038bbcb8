"""The push worker behind `python -m bot push`: claim what is due, deliver it concurrently within the
messengers' pacing, and sleep until the next planned push. Several can run against one PostgreSQL.

One producer keeps a small queue of claims topped up (claims hold a lease, so the queue stays short);
a few consumers deliver them. On SIGTERM the worker stops claiming, delivers what it already claimed
and exits; a claim it could not finish is taken over by another worker when its lease runs out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections import Counter
from contextlib import suppress
from datetime import timedelta
from typing import Any

import discord

from bot.adapters.slack.installs import bot_token_lookup, multi_workspace
from bot.core.mock import Mocks
from bot.core.plan.plan import RefitConfig, Refits
from bot.core.ports import CredentialsRefused
from bot.core.pushes import Claim, PushConfig, Pushes
from bot.ops.http import serving
from bot.ops.logs import request_context
from bot.ops.metrics import Metrics
from bot.push.discord import DiscordMessenger
from bot.push.slack import SlackMessenger
from bot.settings import Settings
from storage.errors import DatabaseUnavailable
from storage.health import open_database

log = logging.getLogger(__name__)

MIN_SLEEP_S = 0.05
OUTAGE_SLEEP_S = (1.0, 30.0)  # first and longest wait while the database cannot be reached
MOCK_POLL_S = 5.0  # look for mocks started since at least this often (nudges are due within seconds)


class PushWorker:
    def __init__(
        self, pushes: Pushes, *, batch: int = 50, concurrency: int = 8, poll_s: float = 30.0,
        metrics: Metrics | None = None, refits: Refits | None = None, refit_poll_s: float = 300.0,
    ):  # fmt: skip
        self.pushes = pushes
        self.metrics = metrics or Metrics()
        self.refits = refits  # learners' FSRS refits, done while no push is due
        self.refit_poll_s = refit_poll_s
        self._next_refit = 0.0  # loop time of the next look for learners due a refit
        self.batch = batch
        self.concurrency = concurrency
        self.poll_s = poll_s
        self.counts: Counter[str] = Counter()  # delivery outcomes since the start
        self._queue: asyncio.Queue[Claim] = asyncio.Queue()
        self._outage_sleep = OUTAGE_SLEEP_S[0]
        self._stop = asyncio.Event()
        self.refused: str | None = None  # why the platform refused our credentials, if it did

    async def run(self, stop: asyncio.Event, *, once: bool = False) -> Counter[str]:
        """Deliver until `stop` is set (or, with `once`, until nothing is due any more)."""
        self._stop = stop
        consumers = [asyncio.create_task(self._consume()) for _ in range(self.concurrency)]
        try:
            while not stop.is_set():
                if self._queue.qsize() > self.batch // 2:
                    await _wait(stop, MIN_SLEEP_S)  # the consumers are working through the queue
                    continue
                try:
                    claims = await self.pushes.claim_due(self.batch - self._queue.qsize())
                except Exception as exc:  # e.g. PostgreSQL restarting: wait and try again rather than exit
                    worker = self.pushes.config.worker_id
                    if isinstance(exc, DatabaseUnavailable):  # one line, not a traceback per retry
                        log.error("push worker %s cannot claim (%s); retrying in %.0f s", worker, exc.reason,
                                  self._outage_sleep)  # fmt: skip
                    else:
                        log.exception("push worker %s cannot claim; retrying in %.0f s", worker, self._outage_sleep)
                    await _wait(stop, self._outage_sleep)
                    self._outage_sleep = min(self._outage_sleep * 2, OUTAGE_SLEEP_S[1])
                    continue
                self._outage_sleep = OUTAGE_SLEEP_S[0]
                for claim in claims:
                    self._queue.put_nowait(claim)
                if claims:
                    continue
                await self._queue.join()  # nothing else is due: let the claimed pushes finish
                await self._refit_when_due(force=once)
                if once:
                    break
                await self._sleep_until_due(stop)
            await self._queue.join()  # stopping: deliver what is already claimed
        finally:
            for task in consumers:
                task.cancel()
            await asyncio.gather(*consumers, return_exceptions=True)
        log.info("push worker %s done: %s", self.pushes.config.worker_id, dict(self.counts))
        return self.counts

    async def _consume(self) -> None:
        while True:
            claim = await self._queue.get()
            if self.refused is not None:  # left to its lease: taken over once the credentials work
                self._queue.task_done()
                continue
            try:
                with request_context(f"push:{claim.delivery_id}"):
                    outcome = await self.pushes.deliver(claim)
                self.counts[outcome] += 1
                lag = (self.pushes.clock.now() - self.pushes.scheduled_at(claim)).total_seconds()
                self.metrics.push_finished(claim.target.platform, outcome, lag)
            except CredentialsRefused as refused:
                if self.refused is None:
                    log.error("push worker %s stopping: %s", self.pushes.config.worker_id, refused)
                self.refused = str(refused)
                self.counts["refused"] += 1
                self._stop.set()
            except DatabaseUnavailable as exc:  # the lease runs out and the claim is taken over
                log.error("push delivery %s could not be recorded: %s", claim.delivery_id, exc.reason)
                self.counts["error"] += 1
            except Exception:
                log.exception("push delivery %s could not be recorded", claim.delivery_id)
                self.counts["error"] += 1
            finally:
                self._queue.task_done()

    async def _refit_when_due(self, *, force: bool = False) -> None:
        """Refit the learners due for one, at most every refit_poll_s (each refit is claimed with a
        lease, so several workers never refit the same learner). A failure waits for the next look."""
        loop = asyncio.get_running_loop()
        if self.refits is None or (not force and loop.time() < self._next_refit):
            return
        self._next_refit = loop.time() + self.refit_poll_s
        try:
            counts = await self.refits.run_due()
        except Exception:  # e.g. the database went away: pushes go on, the next look tries again
            log.exception("push worker %s: refits failed", self.pushes.config.worker_id)
            return
        if counts:
            log.info("push worker %s refits: %s", self.pushes.config.worker_id, dict(counts))
            self.counts.update({f"refit {k}": v for k, v in counts.items()})

    async def _sleep_until_due(self, stop: asyncio.Event) -> None:
        if self.counts:
            log.info("push worker %s idle; so far %s", self.pushes.config.worker_id, dict(self.counts))
        delay = self.poll_s
        try:
            due = await self.pushes.next_due_at()
        except DatabaseUnavailable as exc:  # the next claim round waits the outage out
            log.error("push worker %s cannot read the schedule: %s", self.pushes.config.worker_id, exc.reason)
            due = None
        if due is not None:
            delay = min(max((due - self.pushes.clock.now()).total_seconds(), MIN_SLEEP_S), self.poll_s)
        await _wait(stop, delay)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def wake_mocks(
    mocks: Mocks, messengers: dict[str, Any], worker_id: str, lease: timedelta, stop: asyncio.Event, *, once: bool
) -> None:
    """Mock interviews' time-up nudges and idle closes, claimed like pushes: one process acts on each."""
    platforms = sorted(messengers)
    outage = OUTAGE_SLEEP_S[0]
    while not stop.is_set():
        try:
            counts = await mocks.wake(messengers, worker=worker_id, lease=lease)
            if counts:
                log.info("mock nudges by %s: %s", worker_id, dict(counts))
                continue
            due = await mocks.next_wake(platforms)
        except Exception:  # the database went away: try again later, as the push loop does
            log.exception("push worker %s cannot wake mock interviews; retrying in %.0f s", worker_id, outage)
            await _wait(stop, outage)
            outage = min(outage * 2, OUTAGE_SLEEP_S[1])
            continue
        outage = OUTAGE_SLEEP_S[0]
        if once:
            return
        delay = MOCK_POLL_S if due is None else min(max((due - mocks.clock.now()).total_seconds(), MIN_SLEEP_S), MOCK_POLL_S)
        await _wait(stop, delay)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def connect_messengers(settings: Settings, engine: Any) -> dict[str, DiscordMessenger | SlackMessenger]:
    """A Messenger per platform that is set up. Each worker gets its share of Discord's rate."""
    messengers: dict[str, DiscordMessenger | SlackMessenger] = {}
    if settings.discord_token is not None:
        if settings.discord_api_url:  # a loopback stand-in (tests, benchmarks)
            discord.http.Route.BASE = settings.discord_api_url
        rate = settings.discord_push_rate / settings.push_workers
        messengers["discord"] = await DiscordMessenger.connect(settings.discord_token.get_secret_value(), rate)
    if settings.slack_bot_token is not None or multi_workspace(settings):
        messengers["slack"] = SlackMessenger(bot_token_lookup(settings, engine), base_url=settings.slack_api_url)
    return messengers


async def serve(settings: Settings, *, worker_id: str, once: bool) -> int:
    """The push process: wire the core to the messengers and run until SIGTERM (or, once, until idle)."""
    from bot.bootstrap import build

    app = build(settings)  # the engine reads the notes of a mock it closes for being idle
    try:
        await open_database(app.engine, migrate=False)  # the release step migrates
    except DatabaseUnavailable:
        await app.engine.dispose()
        raise  # the CLI prints its one line and exits 2
    try:
        messengers = await connect_messengers(settings, app.engine)
    except discord.LoginFailure:
        messengers = {}
        log.error("Discord refused DISCORD_TOKEN; check the bot token")
    if not messengers:
        log.error("no platform to push to: set DISCORD_TOKEN and/or SLACK_BOT_TOKEN")
        await app.engine.dispose()
        return 2
    lease = timedelta(seconds=settings.push_lease_seconds)
    config = PushConfig(worker_id=worker_id, rollover_hour=settings.day_rollover_hour, lease=lease)
    pushes = Pushes(app.practice, messengers, config)
    refits = Refits(
        app.practice,
        RefitConfig(worker_id=worker_id, min_reviews=settings.fit_min_reviews, refit_every=settings.refit_every),
    )
    worker = PushWorker(
        pushes, batch=settings.push_batch, poll_s=settings.push_poll_seconds, metrics=app.metrics, refits=refits,
        refit_poll_s=settings.refit_poll_seconds,
    )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("push worker %s started for %s", worker_id, ", ".join(sorted(messengers)))
    nudges = asyncio.create_task(wake_mocks(app.mocks, messengers, worker_id, lease, stop, once=once))
    try:
        async with serving(settings.metrics_port, settings.metrics_host, app.health, app.metrics):
            await worker.run(stop, once=once)
            await nudges
    finally:
        nudges.cancel()
        await asyncio.gather(nudges, return_exceptions=True)  # its database call ends before the engine closes
        for messenger in messengers.values():
            await messenger.close()
        await app.engine.dispose()
    return 1 if worker.refused else 0
