"""The command line as a user runs it: real processes, a temp working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BANK_DIR"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, env=full_env
    )


def test_bank_validate_passes_on_the_shipped_bank(tmp_path):
    result = cli("bank", "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


def test_bank_validate_lists_every_error_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nquestions:\n  - id: Not A Slug\n    level: mid\n")
    result = cli("bank", "validate", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].endswith("problem(s) found")
    assert any(line.startswith("bad.yaml:3: Not A Slug: id: must be a lowercase slug") for line in lines)
    assert any(": key_points: required" in line for line in lines)


def test_bank_stats_prints_counts(tmp_path):
    result = cli("bank", "stats", cwd=tmp_path)
    assert result.returncode == 0
    for word in ("system_design", "databases", "behavioral", "backend", "junior", "staff", "Questions per topic"):
        assert word in result.stdout


def test_practice_starts_on_a_fresh_directory_and_keeps_progress(tmp_path):
    first = cli("practice", "--user", "ada", "--timezone", "Europe/Paris", cwd=tmp_path, stdin="2\n\n3\nm\nq\n")
    assert first.returncode == 0, first.stderr
    assert "Recorded: Solid" in first.stdout
    assert (tmp_path / "interview_bot.db").exists()
    second = cli("practice", "--user", "ada", cwd=tmp_path, stdin="s\nq\n")
    assert "1 (1 today)" in second.stdout


def test_practice_refuses_a_wrong_timezone(tmp_path):
    result = cli("practice", "--timezone", "Europe/Atlantis", cwd=tmp_path, stdin="q\n")
    assert result.returncode == 2
    assert "'Europe/Atlantis' is not a timezone I know" in result.stderr


def test_a_broken_bank_stops_start_up_listing_every_error(tmp_path):
    folder = tmp_path / "bank" / "databases"
    folder.mkdir(parents=True)
    (folder / "one.yaml").write_text("schema_version: 1\nquestions:\n  - id: db-x\n    level: guru\n")
    (folder / "two.yaml").write_text("schema_version: 2\nquestions: []\n")
    result = cli("practice", cwd=tmp_path, stdin="q\n", env={"BANK_DIR": str(tmp_path / "bank")})
    assert result.returncode == 2
    assert "one.yaml:4: db-x: level: must be one of" in result.stderr
    assert "two.yaml:1: schema_version: must be one of 1" in result.stderr
    assert "two.yaml:2: questions: a non-empty list is required" in result.stderr
    assert not (tmp_path / "interview_bot.db").exists()


def test_db_upgrade_is_repeatable(tmp_path):
    for _ in range(2):
        result = cli("db", "upgrade", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "interview_bot.db").exists()


def test_a_bad_setting_is_named(tmp_path):
    result = cli("db", "upgrade", cwd=tmp_path, env={"DAY_ROLLOVER_HOUR": "25"})
    assert result.returncode == 2 and "DAY_ROLLOVER_HOUR" in result.stderr
