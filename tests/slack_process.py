"""`python -m bot slack` as an operator runs it, for tests: a real process serving HTTP on loopback,
its log (stderr) in a file so a flood of log lines can never block it on a full pipe."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.pg import free_port


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BANK_DIR", "SLACK_", "PORT"))}
    env.update(extra)
    return env


@dataclass
class SlackProcess:
    proc: asyncio.subprocess.Process
    base: str
    log_path: Path

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size


async def wait_healthy(session: aiohttp.ClientSession, base: str, proc: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            async with session.get(base + "/healthz") as health:
                assert health.status == 200 and await health.json() == {"ok": True}
                return
        except aiohttp.ClientConnectionError:
            assert time.monotonic() < deadline and proc.returncode is None, "the server never came up"
            await asyncio.sleep(0.1)


@asynccontextmanager
async def slack_process(
    tmp_path: Path, session: aiohttp.ClientSession, *, open_files: int | None = None, **env: str
) -> AsyncIterator[SlackProcess]:
    """Start `python -m bot slack` (env: its settings), wait for /healthz, SIGTERM it on the way out.
    `open_files`: the process's open-file limit (RLIMIT_NOFILE), as a host might set it."""

    def limit_files() -> None:
        if open_files is not None:
            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, hard))

    port = free_port()
    log_path = tmp_path / "slack.log"
    with open(log_path, "wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "slack", cwd=tmp_path, env=clean_env(PORT=str(port), **env), stderr=log,
            preexec_fn=limit_files,
        )  # fmt: skip
    running = SlackProcess(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        await wait_healthy(session, running.base, proc)
        yield running
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
