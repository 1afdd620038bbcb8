"""Uploaded files are checked in a child process: bounded in time and memory, the event loop free."""

from __future__ import annotations

import asyncio

import pytest

from question_bank.isolated import IsolatedParser, Limits
from question_bank.loader import InvalidBank
from tests.hostile_yaml import alias_bomb, slow_but_valid_yaml


async def test_the_child_reports_what_the_loader_reports():
    documents, errors = await IsolatedParser().parse(alias_bomb(), "evil.yaml")
    assert documents == [] and [str(e) for e in errors] == [
        "evil.yaml:2: anchors and aliases (&name, *name) are not allowed: write each value out"
    ]


@pytest.mark.parametrize("limits", [Limits(seconds=0.3), Limits(memory_bytes=32 * 1024 * 1024)], ids=["time", "memory"])
async def test_a_check_that_runs_out_of_time_or_memory_is_killed_and_named(limits):
    with pytest.raises(InvalidBank) as exc:
        await IsolatedParser(limits).parse(slow_but_valid_yaml(), "big.yaml")
    assert str(exc.value).startswith("big.yaml:1: too large or complex to check (limits: ")


async def test_the_event_loop_keeps_running_while_a_file_is_checked():
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    loop = asyncio.get_running_loop()
    started = loop.time()
    documents, errors = await IsolatedParser().parse(slow_but_valid_yaml(15_000), "slow.yaml")
    elapsed = loop.time() - started
    ticker.cancel()
    assert documents == [] and [e.field for e in errors] == ["notes", "questions"]  # parsed to the end
    assert elapsed > 0.3 and ticks >= elapsed / 0.01 / 4  # the loop was never held for long
