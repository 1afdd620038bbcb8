"""The chat command parser: forgiving about case and extra words, helpful about near-misses."""

from __future__ import annotations

import pytest

from bot.core.commands import Command, help_reply, parse
from bot.core.errors import InvalidInput


@pytest.mark.parametrize(
    "text, expected",
    [
        ("question", Command("question")),
        ("Question Databases please", Command("question", category="databases")),
        (
            "give me a question about system design, senior",
            Command("question", category="system_design", level="senior"),
        ),
        ("q db junior", Command("question", category="databases", level="junior")),
        ("REVIEW", Command("review")),
        ("  stats  ", Command("stats")),
        ("chart", Command("chart")),
        ("subscribe 08:30", Command("subscribe", time="08:30")),
        (
            "subscribe 8:30 pm europe/berlin databases behavioural",
            Command("subscribe", time="8:30pm", timezone="Europe/Berlin", categories=("databases", "behavioral")),
        ),
        ("unsubscribe", Command("unsubscribe")),
        ("snooze 7 days", Command("snooze", days=7)),
        ("timezone america/new_york", Command("timezone", timezone="America/New_York")),
        ("timezone Mars/Olympus", Command("timezone", timezone="Mars/Olympus")),  # the core names what is wrong
        ("leaderboard", Command("leaderboard", period="week")),
        ("leaderboard all time", Command("leaderboard", period="all")),
        ("opt out", Command("optout")),
        ("optin", Command("optin")),
        ("link", Command("link")),
        ("link 123456", Command("link", code="123456")),
        ("link 042 917", Command("link", code="042917")),  # as read aloud or copied with its bold
        ("link *042917*.", Command("link", code="042917")),
        ("link 12345", Command("link", code="12345")),  # a typo is refused by the core, not taken as "link"
        ("export", Command("export")),
        ("export questions", Command("export", subject="questions")),
        ("forget-me", Command("forget-me")),
        ("help", Command("help")),
        ("", Command("help")),
        (
            "qotd set <#C123|interviews> 09:00 Europe/Berlin",
            Command("qotd", channel="<#C123|interviews>", time="09:00", timezone="Europe/Berlin"),
        ),
        ("qotd off", Command("qotd", off=True)),
        ("qotd set 9am utc", Command("qotd", time="9am", timezone="UTC")),
        ("import", Command("import")),
        ("remove my-question", Command("remove", slug="my-question")),
    ],
)
def test_commands(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text, suggestion",
    [("questoin", "question"), ("stast", "stats"), ("subscirbe 08:30", "subscribe"), ("question databse", "databases")],
)
def test_near_misses_get_a_suggestion(text, suggestion):
    with pytest.raises(InvalidInput, match=f"Did you mean \\*\\*{suggestion}\\*\\*"):
        parse(text)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("xyzzy", "help"),
        ("subscribe", "subscribe 08:30"),
        ("snooze", "snooze 7"),
        ("timezone", "Europe/Berlin"),
        ("qotd set #general", "qotd set #channel HH:MM"),
        ("qotd set 09:00", "qotd set #channel HH:MM"),
        ("remove", "remove my-question-id"),
    ],
)
def test_missing_or_unknown_words_say_what_to_type(text, needle):
    with pytest.raises(InvalidInput) as err:
        parse(text)
    assert needle in err.value.message


def test_help_lists_every_command():
    text = " ".join(f.name for f in help_reply().fields)
    for word in (
        "question",
        "review",
        "stats",
        "chart",
        "subscribe",
        "unsubscribe",
        "snooze",
        "timezone",
        "leaderboard",
        "optout",
        "link",
        "export",
        "forget-me",
        "qotd",
        "import",
    ):
        assert word in text
