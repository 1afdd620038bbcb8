"""The optional language model against a loopback stand-in of an OpenAI-compatible endpoint (success,
timeout, garbage), the offline engine with sockets blocked, and the reveal when scoring runs out of time."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.bootstrap import App, build
from bot.core.actions import ActionKey
from bot.core.feedback import Feedback, FeedbackEngine
from bot.core.practice import LearnerRef
from bot.settings import Settings
from question_bank.loader import Bank, load_bank
from storage.migrate import upgrade
from tests.buttons import qid

ISBN = "db-btree-isbn-lookup"
ANSWER = (
    "Without an index on isbn13 postgres does a full sequential scan of every row. "
    "A unique index on isbn13 would also reject duplicate ISBNs. It takes more disk space."
)
ALICE = LearnerRef("console", "alice")


@dataclass
class ModelStandIn:
    """POST /v1/chat/completions, answered as the test says: a reply, a stall, or garbage."""

    mode: str = "ok"
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        if self.mode == "slow":
            await asyncio.sleep(5)
        if self.mode == "garbage":
            return web.Response(text="<html>502 upstream says hello</html>", content_type="text/html")
        if self.mode == "error":
            return web.json_response({"error": "overloaded"}, status=503)
        content = json.dumps(
            {
                "explanation": "You explain the scan and uniqueness well but skip how a B-tree is laid out.",
                "follow_up": "How many page reads does one lookup need?",
                "covered": [
                    {"index": 5, "quote": "It takes more disk space"},  # in the answer: kept
                    {"index": 1, "quote": "a B-tree keeps keys sorted"},  # invented: dropped
                    {"index": 2, "quote": "descends a few pages"},  # invented: dropped
                ],
            }
        )
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})


@pytest.fixture
async def model() -> AsyncIterator[ModelStandIn]:
    standin = ModelStandIn()
    server = web.Application()
    server.router.add_post("/v1/chat/completions", standin.handle)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    standin.url = f"http://127.0.0.1:{port}/v1"
    yield standin
    await runner.cleanup()


def one_question() -> Bank:
    return Bank((load_bank().get(ISBN),))


async def app_with(engine, clock, **env: Any) -> App:
    await upgrade(engine)
    return build(Settings(_env_file=None, FSRS_FUZZ=False, **env), bank=one_question(), engine=engine, clock=clock)


async def written(app: App) -> Any:
    question = await app.practice.next_question(ALICE)
    return await app.practice.submit_answer(ALICE, ActionKey("answer", qid(question), 0).encode(), ANSWER)


def names(reply) -> list[str]:
    return [f.name for f in reply.fields]


async def test_the_model_adds_an_explanation_and_only_quotes_found_in_the_answer(engine, clock, model):
    app = await app_with(engine, clock, LLM_BASE_URL=model.url, LLM_MODEL="small", LLM_API_KEY="sk-test-secret")
    assert "sk-test-secret" not in repr(app.settings) and "sk-test-secret" not in repr(app.practice.explainer.model)
    reply = await written(app)
    second = {f.name: f.value for f in reply.fields}["A second opinion (language model)"]
    assert second.startswith("You explain the scan and uniqueness well")
    assert "✅ The index takes extra disk space and competes for cache memory: “It takes more disk space”" in second
    assert "B-tree keeps keys" not in second and "descends" not in second  # no quote in the answer: dropped
    assert {f.name: f.value for f in reply.fields}["Try this follow-up"] == "How many page reads does one lookup need?"
    assert "✅ The index takes extra disk space and competes for cache memory" not in names(reply)  # offline stands
    assert "**Suggested grade: Partial**" in reply.body
    assert model.headers[0]["Authorization"] == "Bearer sk-test-secret"
    assert model.requests[0]["model"] == "small" and ANSWER in model.requests[0]["messages"][1]["content"]


@pytest.mark.parametrize("mode", ["slow", "garbage", "error"])
async def test_a_slow_or_broken_model_falls_back_to_the_offline_result(engine, clock, model, mode):
    offline = await written(await app_with(engine, clock))
    model.mode = mode
    app = await app_with(engine, clock, LLM_BASE_URL=model.url, LLM_MODEL="small", LLM_TIMEOUT=0.5)
    started = time.monotonic()
    reply = await (app.practice.submit_answer(ALICE, ActionKey("answer", ISBN, 0).encode(), ANSWER))
    assert time.monotonic() - started < 3
    assert reply.fields == offline.fields and reply.body == offline.body  # the offline result, silently
    assert len(model.requests) == 1


def test_the_model_timeout_cannot_exceed_20_seconds():
    with pytest.raises(ValueError):
        Settings(_env_file=None, LLM_TIMEOUT=21)


def test_the_offline_engine_needs_no_network(monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the feedback engine tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    bank = load_bank()
    engine = FeedbackEngine.load(bank.questions)
    result = engine.assess(bank.get(ISBN), ANSWER)
    assert result.covered == (0, 3) and all(q in ANSWER for q in result.evidence.values())


class SlowEngine(FeedbackEngine):
    def assess(self, q, text):
        time.sleep(0.5)
        return super().assess(q, text)


async def test_scoring_that_runs_out_of_time_shows_the_plain_key_points(engine, clock):
    app = await app_with(engine, clock)
    slow = SlowEngine(app.practice.feedback.engine.matcher, app.practice.feedback.engine.star_cues)
    app.practice.feedback = Feedback(slow, timeout=0.05)
    reply = await written(app)
    assert names(reply)[0] == "Key points" and "Suggested grade" not in reply.body
    grades = [a for a in reply.actions if a.key.startswith("grade:")]
    assert [a.label.split(" · ")[0] for a in grades] == ["Missed it", "Partial", "Solid", "Could teach it"]
