"""The terminal's machine zone is a guess, never a choice: only --timezone changes a stored zone."""

from __future__ import annotations

import sqlite3

from tests.e2e.test_cli import cli


def stored_zone(db, user: str) -> tuple[str, int]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT timezone, timezone_chosen FROM learners WHERE platform_user_id = ?", (user,)
        ).fetchone()


def test_starting_without_timezone_keeps_the_zone_the_learner_chose(tmp_path):
    db = tmp_path / "practice.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{db}", "TZ": "UTC"}
    chose = cli("practice", "--user", "bob", "--timezone", "Asia/Tokyo", cwd=tmp_path, stdin="q\n", env=env)
    assert chose.returncode == 0, chose.stderr
    assert stored_zone(db, "bob") == ("Asia/Tokyo", 1)
    again = cli("practice", "--user", "bob", cwd=tmp_path, stdin="q\n", env=env)  # machine zone: UTC
    assert again.returncode == 0, again.stderr
    assert stored_zone(db, "bob") == ("Asia/Tokyo", 1)


def test_a_new_learner_starts_in_the_machine_zone_until_they_choose(tmp_path):
    db = tmp_path / "practice.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{db}", "TZ": "America/New_York"}
    assert cli("practice", "--user", "cy", cwd=tmp_path, stdin="q\n", env=env).returncode == 0
    assert stored_zone(db, "cy") == ("America/New_York", 0)
    env["TZ"] = "Europe/Paris"  # travelling: still the first guess, the study day does not jump
    assert cli("practice", "--user", "cy", cwd=tmp_path, stdin="q\n", env=env).returncode == 0
    assert stored_zone(db, "cy") == ("America/New_York", 0)
