"""Hostile and large question imports: how long the check takes and how long the event loop is held.

Each file goes through the same `IsolatedParser` the bot uses (a child process capped in CPU, memory
and wall time) while a 10 ms ticker runs on the event loop; the worst gap between ticks is how long
every other command would have waited.
"""

from __future__ import annotations

import asyncio
import time

from question_bank.isolated import IsolatedParser
from question_bank.loader import InvalidBank
from tests.hostile_yaml import DEEP_NESTING, RECURSIVE_ALIAS, alias_bomb, question_entry, slow_but_valid_yaml

def files() -> list[tuple[str, str]]:
    prompt = "A concrete scenario for a backend service, with its users, a constraint and something worth discussing."
    valid = "schema_version: 1\nquestions:\n" + "".join(question_entry(f"be-{n}", prompt) for n in range(500))
    flood = slow_but_valid_yaml(250_000)
    return [
        (f"alias bomb ({len(alias_bomb())} B)", alias_bomb()),
        ("recursive alias", RECURSIVE_ALIAS),
        (f"50,000-deep nesting ({len(DEEP_NESTING) // 1024} KiB)", DEEP_NESTING),
        (f"500 valid questions ({len(valid) // 1024} KiB)", valid),
        (f"flow list of 250,000 values ({len(flood) // 1024} KiB)", flood),
    ]


async def measure(parser: IsolatedParser, text: str) -> tuple[float, float, str]:
    loop = asyncio.get_running_loop()
    worst = 0.0

    async def tick() -> None:
        nonlocal worst
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            worst = max(worst, now - last - 0.01)
            last = now

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    try:
        documents, errors = await parser.parse(text, "upload.yaml")
        outcome = f"{len(documents)} questions" if not errors else str(errors[0])
    except InvalidBank as exc:
        outcome = str(exc)
    elapsed = time.perf_counter() - started
    ticker.cancel()
    return elapsed, worst, outcome


async def run() -> None:
    parser = IsolatedParser()
    print("| file | answered in | worst event-loop stall | outcome |")
    print("|---|---:|---:|---|")
    for name, text in files():
        elapsed, worst, outcome = await measure(parser, text)
        print(f"| {name} | {elapsed:.2f} s | {worst * 1000:.0f} ms | {outcome[:80]} |")
