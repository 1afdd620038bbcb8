"""House rules that keep the layers apart, checked by walking every import."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ("discord", "slack_bolt", "slack_sdk", "aiohttp")


def imports(folder: str):
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield path, alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, node.module


def test_core_bank_and_storage_never_import_a_platform_library():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in ("bot/core", "question_bank", "storage")
        for path, name in imports(folder)
        if name.split(".")[0] in PLATFORM
    ]
    assert offenders == []


def test_core_never_imports_adapters_and_storage_never_imports_the_bot():
    offenders = [f"{p.relative_to(ROOT)}: {n}" for p, n in imports("bot/core") if n.startswith("bot.adapters")]
    offenders += [f"{p.relative_to(ROOT)}: {n}" for p, n in imports("storage") if n.startswith("bot")]
    offenders += [f"{p.relative_to(ROOT)}: {n}" for p, n in imports("question_bank") if n.startswith(("bot", "storage"))]
    assert offenders == []


def test_sql_lives_only_in_storage():
    offenders = [
        f"{p.relative_to(ROOT)}: {n}"
        for folder in ("bot", "question_bank")
        for p, n in imports(folder)
        if n.split(".")[0] == "sqlalchemy" and "bootstrap" not in p.name
    ]
    assert offenders == []


def test_core_never_reads_the_wall_clock():
    offenders = []
    for path in (ROOT / "bot/core").rglob("*.py"):
        text = path.read_text()
        for needle in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_core_records_no_metrics_itself():
    """Metrics are recorded at the boundaries (adapters, push worker, Store's hook, the Observer port)."""
    offenders = [
        f"{p.relative_to(ROOT)}: {n}"
        for p, n in imports("bot/core")
        if n.split(".")[0] == "prometheus_client" or n.startswith("bot.ops")
    ]
    assert offenders == []
