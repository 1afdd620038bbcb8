"""Check an uploaded question file in a child process, bounded in time and memory.

A file someone uploads is untrusted: parsing it never runs in the bot's own process (where it would
hold the event loop, and with it every server's commands). `IsolatedParser.parse` hands the text to
`python -m question_bank.isolated`, which caps its own address space and CPU time, parses and
validates with the same loader as the bank, and prints the result as JSON. A child that runs out of
time or memory is killed, and the file is refused with a message naming the limit. The child gets no
environment beyond PATH and PYTHONPATH, so no secret is ever in reach of the parser.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from question_bank.loader import BankError, InvalidBank, find_duplicates, locate, parse_text

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Limits:
    seconds: float = 30.0  # wall time for one file, start-up included (CPU is capped at the same)
    memory_bytes: int = 512 * 1024 * 1024  # the child's whole address space
    concurrent: int = 2  # files checked at once; more wait their turn


class IsolatedParser:
    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self._slots = asyncio.Semaphore(self.limits.concurrent)

    async def parse(self, text: str, source: str) -> tuple[list[dict[str, Any]], list[BankError]]:
        """The file's valid questions (as JSON-ready documents) and every problem found, as
        `parse_text` and `find_duplicates` report them. Raises InvalidBank if the check itself ran
        out of time or memory."""
        limits = self.limits
        async with self._slots:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "question_bank.isolated", source, str(limits.memory_bytes),
                str(math.ceil(limits.seconds)),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
                cwd=ROOT, env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
            try:
                out, _ = await asyncio.wait_for(child.communicate(text.encode("utf-8")), limits.seconds)
            except TimeoutError:
                out = b""
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
        if child.returncode != 0 or not out:
            mib = limits.memory_bytes // (1024 * 1024)
            message = (
                f"too large or complex to check (limits: {limits.seconds:.0f} s, {mib} MiB); split it into smaller files"
            )
            raise InvalidBank([BankError(source, 1, None, None, message)])
        result = json.loads(out)
        return result["documents"], [BankError(**e) for e in result["errors"]]


def check(text: str, source: str) -> dict[str, Any]:
    """What the child computes: the documents of the valid questions and every error, duplicates included."""
    questions, errors = parse_text(text, source)
    errors += find_duplicates(locate(source, text, questions))
    return {
        "documents": [q.model_dump(mode="json", exclude_none=True) for q in questions],
        "errors": [asdict(e) for e in errors],
    }


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    import resource  # POSIX only, like the bot's deployment targets

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def main(argv: list[str]) -> None:
    source, memory_bytes, cpu_seconds = argv[0], int(argv[1]), int(argv[2])
    _limit(memory_bytes, cpu_seconds)
    text = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.write(json.dumps(check(text, source)))


if __name__ == "__main__":
    main(sys.argv[1:])
