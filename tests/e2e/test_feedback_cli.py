"""`python -m bot feedback --jsonl [--tenant]` as a script runs it: a real process, JSON lines in and out."""

from __future__ import annotations

import asyncio
import json

import yaml

from bot.core.custom import CustomQuestionService
from bot.core.ports import Clock
from question_bank.isolated import IsolatedParser
from question_bank.loader import load_bank
from storage.db import engine_for_tests
from storage.migrate import upgrade
from storage.repositories import Store
from tests.e2e.test_cli import cli

ANSWER = (
    "Without an index on isbn13 postgres does a full sequential scan of every row. "
    "A unique index on isbn13 would also reject duplicate ISBNs."
)


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_each_line_gets_one_result_line_and_bad_lines_get_an_error_line(tmp_path):
    stdin = "\n".join(
        [
            json.dumps({"question_id": "db-btree-isbn-lookup", "answer": ANSWER}),
            json.dumps({"question_id": "no-such-question", "answer": ANSWER}),
            "this is not json",
            json.dumps({"question_id": "db-btree-isbn-lookup", "answer": "x" * 4001}),
            json.dumps({"question_id": "db-btree-isbn-lookup", "answer": "just an index"}),
        ]
    )
    done = cli("feedback", "--jsonl", cwd=tmp_path, stdin=stdin + "\n")
    assert done.returncode == 0, done.stderr
    first, unknown, garbled, too_long, short = lines(done.stdout)
    assert first["question_id"] == "db-btree-isbn-lookup"
    assert first["covered"] == [0, 3] and first["suggested_grade"] == 2
    assert set(first["evidence"]) == {"0", "3"} and all(quote in ANSWER for quote in first["evidence"].values())
    assert first["missed"] == [1, 2, 4, 5, 6] and first["reason"] == "2 of 7 key points: Partial"
    assert unknown == {"question_id": "no-such-question", "error": "unknown question id 'no-such-question'"}
    assert garbled["question_id"] is None and garbled["error"].startswith("line 3: not JSON")
    assert too_long["error"] == "answer longer than 4000 characters"
    assert short["covered"] == [] and short["flags"] == ["few_words"] and short["suggested_grade"] == 1


def test_a_tenant_s_imported_question_is_served_with_tenant(tmp_path, clock: Clock):
    url = f"sqlite+aiosqlite:///{tmp_path / 'tenant.db'}"
    q = load_bank().get("db-btree-isbn-lookup")
    document = q.model_dump(mode="json", exclude_none=True) | {"id": "db-kiosk-isbn"}
    data = yaml.safe_dump({"schema_version": 1, "questions": [document]}).encode()

    async def seed() -> None:
        engine = engine_for_tests(url)
        await upgrade(engine)
        await CustomQuestionService(Store(engine), clock, IsolatedParser()).import_yaml(
            "discord:1", is_admin=True, actor="admin", filename="ours.yaml", data=data
        )
        await engine.dispose()

    asyncio.run(seed())
    stdin = json.dumps({"question_id": "db-kiosk-isbn~1", "answer": ANSWER}) + "\n"
    env = {"DATABASE_URL": url}
    served = lines(cli("feedback", "--jsonl", "--tenant", "discord:1", cwd=tmp_path, stdin=stdin, env=env).stdout)
    assert served[0]["question_id"] == "db-kiosk-isbn~1" and served[0]["covered"] == [0, 3]
    elsewhere = lines(cli("feedback", "--jsonl", "--tenant", "discord:2", cwd=tmp_path, stdin=stdin, env=env).stdout)
    assert elsewhere[0]["error"] == "unknown question id 'db-kiosk-isbn~1'"  # another tenant's question
    without = lines(cli("feedback", "--jsonl", cwd=tmp_path, stdin=stdin, env=env).stdout)
    assert "error" in without[0]
