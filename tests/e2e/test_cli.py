"""The command line as a user runs it: real processes, a temp working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import default_database

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
    assert lines[-1].endswith("problems found")
    assert any(line.startswith("bad.yaml:3: Not A Slug: id: must be a lowercase slug") for line in lines)
    assert any(": key_points: required" in line for line in lines)


def test_bank_stats_prints_counts(tmp_path):
    result = cli("bank", "stats", cwd=tmp_path)
    assert result.returncode == 0
    for word in ("system_design", "databases", "behavioral", "backend", "junior", "staff", "Questions per topic"):
        assert word in result.stdout


def test_practice_keeps_progress_in_the_data_folder_found_from_any_directory(tmp_path):
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir(), elsewhere.mkdir()
    first = cli("practice", "--user", "ada", "--timezone", "Europe/Paris", cwd=here, stdin="2\n\n3\nm\nq\n")
    assert first.returncode == 0, first.stderr
    assert "Recorded: Solid" in first.stdout
    assert default_database(tmp_path).exists() and not list(here.iterdir())
    assert f"Your progress is kept in {default_database(tmp_path)}\n" in first.stdout
    second = cli("practice", "--user", "ada", cwd=elsewhere, stdin="s\nq\n")
    assert "1 (1 today)" in second.stdout


def test_a_database_left_in_the_working_directory_is_copied_over_once(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    cli("practice", "--user", "ada", "--db", str(old / "interview_bot.db"), cwd=old, stdin="2\n\n3\nm\nq\n")
    first = cli("practice", "--user", "ada", cwd=old, stdin="s\nq\n")
    assert f"Your progress now lives in {default_database(tmp_path)}" in first.stderr
    assert "1 (1 today)" in first.stdout and (old / "interview_bot.db").exists()
    again = cli("practice", "--user", "ada", cwd=old, stdin="2\n\n3\nm\nq\n")
    assert again.stderr == "" and "Recorded: Solid" in again.stdout
    assert "2 (2 today)" in cli("practice", "--user", "ada", cwd=tmp_path, stdin="s\nq\n").stdout


def test_db_and_database_url_choose_the_database(tmp_path):
    chosen = tmp_path / "mine.db"
    cli("practice", "--user", "ada", "--db", "mine.db", cwd=tmp_path, stdin="2\n\n3\nm\nq\n")
    assert chosen.exists() and not default_database(tmp_path).exists()
    via_env = cli("practice", "--user", "ada", cwd=tmp_path, stdin="s\nq\n", env={"DATABASE_URL": f"sqlite+aiosqlite:///{chosen}"})
    assert "1 (1 today)" in via_env.stdout and not default_database(tmp_path).exists()


@pytest.mark.parametrize(
    ("db", "says"),
    [
        ("postgresql+asyncpg://ada:hunter2@127.0.0.1:1/practice", "cannot use DATABASE_URL: nothing answers at 127.0.0.1:1"),
        ("/proc/no-such-folder/practice.db", "cannot use DATABASE_URL: cannot open the SQLite file /proc/no-such-folder/practice.db"),
        ("nonsense://", "Cannot use that database URL: "),
        ("mysql://ada@localhost/x", "Cannot use that database URL: DATABASE_URL: the driver for mysql (MySQLdb) is not installed"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_clear_line(tmp_path, db, says):
    result = cli("practice", "--db", db, cwd=tmp_path, stdin="q\n")
    assert result.returncode in (1, 2)
    assert result.stderr.startswith(says) and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_an_unwritable_data_folder_is_one_clear_line(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    result = cli("practice", cwd=tmp_path, stdin="q\n", env={"XDG_DATA_HOME": str(tmp_path / "file")})
    assert result.returncode == 1
    assert result.stderr.startswith("cannot create the folder for your progress") and "DATABASE_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("user", "length", "db"),
    [("", 0, None), ("   ", 0, None), ("x" * 65, 65, None), ("x" * 65, 65, "postgresql+asyncpg://ada@127.0.0.1:1/practice")],
)
def test_the_user_name_is_checked_before_anything_is_stored(tmp_path, user, length, db):
    # the same check whatever the database: SQLite would store 65 characters, PostgreSQL would refuse them
    env = {"DATABASE_URL": db} if db else {}
    result = cli("practice", "--user", user, cwd=tmp_path, stdin="q\n", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == f"--user needs a name of 1 to 64 characters (got {length})."
    assert not default_database(tmp_path).exists()


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
    assert not default_database(tmp_path).exists()


def test_db_upgrade_says_what_it_did_and_is_repeatable(tmp_path):
    created = cli("db", "upgrade", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"Created the database at {default_database(tmp_path)} (revision ")
    assert "with the tables " in created.stdout and "learners" in created.stdout and "reviews" in created.stdout
    again = cli("db", "upgrade", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"The database at {default_database(tmp_path)} is up to date (revision ")


def test_a_bad_setting_is_named(tmp_path):
    result = cli("db", "upgrade", cwd=tmp_path, env={"DAY_ROLLOVER_HOUR": "25"})
    assert result.returncode == 2 and "DAY_ROLLOVER_HOUR" in result.stderr


def test_dev_help_lists_its_own_commands_and_the_applications():
    for spelling in ("help", "--help"):
        result = subprocess.run([str(ROOT / "dev"), spelling], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        for line in ("  practice [--user NAME]", "  test [pytest args]", "  bench [name]", "  help "):
            assert line in result.stdout
        assert "usage: python -m bot" in result.stdout
