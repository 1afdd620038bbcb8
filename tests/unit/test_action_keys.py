"""Action keys: what a button carries, round-tripped and refused."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.actions import MAX_KEY_LENGTH, ActionKey, millis, undo_key
from bot.core.errors import StaleAction

GRADED = datetime(2026, 12, 6, 17, 5, 1, 234000, tzinfo=UTC)


def test_an_undo_key_carries_when_its_grade_was_given():
    key = ActionKey.parse(undo_key("db-covering-index", 3, GRADED))
    assert (key.verb, key.question_id, key.version, key.rating) == ("undo", "db-covering-index", 3, None)
    assert key.ref == millis(GRADED) == millis(GRADED.replace(tzinfo=None))  # SQLite hands back naive UTC
    assert ActionKey.parse(undo_key("db-covering-index", 3, GRADED + timedelta(milliseconds=1))).ref != key.ref


def test_an_imported_questions_long_id_still_gets_an_undo_key_within_the_limit():
    long_id = "q" * 60 + "~1234567"
    key = undo_key(long_id, 12, GRADED)
    assert len(key) <= MAX_KEY_LENGTH and ActionKey.parse(key).version == 12
    assert len(undo_key(long_id, 10**15, GRADED)) <= MAX_KEY_LENGTH  # no room for the time: left out


def test_old_undo_keys_without_a_time_still_parse():
    assert ActionKey.parse("undo:db-covering-index:3").ref is None


@pytest.mark.parametrize("key", ["undo:q:3:!!", "undo:q:3:-5", "grade:q:3:5", "skip:q:3:7", "reveal:q:1:2"])
def test_malformed_fourth_parts_are_refused(key):
    with pytest.raises(StaleAction):
        ActionKey.parse(key)
