"""The command tree as Discord would receive it at sync, without any connection."""

from __future__ import annotations

from bot.adapters.discord.commands import category_list_choices


def test_category_suggestions_extend_what_is_typed():
    assert [c.value for c in category_list_choices("")] == ["system_design", "databases", "behavioral", "backend"]
    assert [c.value for c in category_list_choices("databases, b")] == ["databases, behavioral", "databases, backend"]
    assert [c.value for c in category_list_choices("databases, system des")] == ["databases, system_design"]
    assert category_list_choices("nothing like it") == []
