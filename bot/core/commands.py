"""The text command language of chat surfaces (Slack DMs and `/interview`): a forgiving, pure parser.

People type "Question databases please", "REVIEW", "subscribe 8:30pm europe/berlin" or "questoin".
Case and extra words do not matter; the first command word found wins; a near-miss gets a
"Did you mean ...?" as an InvalidInput, so every surface shows it through error_reply. The parser
only recognises words: whether a time, zone or category is acceptable is decided by the use case.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

from bot.core.errors import InvalidInput
from bot.core.replies import Field, File, Reply
from question_bank.schema import CATEGORIES, LEVELS

COMMANDS: dict[str, str] = {
    "question": "question", "questions": "question", "q": "question", "next": "question", "quiz": "question",
    "review": "review", "reviews": "review", "due": "review",
    "stats": "stats", "progress": "stats", "status": "stats",
    "chart": "chart", "graph": "chart",
    "subscribe": "subscribe", "daily": "subscribe",
    "unsubscribe": "unsubscribe", "stop": "unsubscribe",
    "snooze": "snooze", "pause": "snooze", "vacation": "snooze",
    "timezone": "timezone", "tz": "timezone", "zone": "timezone",
    "leaderboard": "leaderboard", "top": "leaderboard",
    "optout": "optout", "opt-out": "optout", "optin": "optin", "opt-in": "optin",
    "link": "link",
    "export": "export",
    "forget-me": "forget-me", "forgetme": "forget-me", "forget": "forget-me",
    "help": "help", "?": "help", "commands": "help", "hi": "help", "hello": "help",
    "qotd": "qotd",
    "import": "import",
    "remove": "remove",
    "mock": "mock", "interview": "mock",
    "goal": "goal", "plan": "goal", "deadline": "goal",
    "pace": "pace", "limits": "pace",
}  # fmt: skip
CATEGORY_WORDS: dict[str, str] = {
    "system_design": "system_design", "system-design": "system_design", "design": "system_design",
    "sd": "system_design", "databases": "databases", "database": "databases", "db": "databases",
    "sql": "databases", "behavioral": "behavioral", "behavioural": "behavioral", "bh": "behavioral",
    "backend": "backend", "be": "backend",
}  # fmt: skip
QOTD_HELP = (
    "Use **qotd set #channel HH:MM Timezone**, e.g. qotd set #interviews 09:00 Europe/Berlin "
    "(in a channel you can leave out #channel), or **qotd off**."
)
ADMIN_ONLY = "Only workspace admins can do that."
DOWNLOAD_FAILED = "I could not download that file from Slack. Please share it again."
NOT_A_SLACK_FILE = "That file is not on Slack's file servers, so I did not download it. Please upload it to Slack."
TIME = re.compile(r"^\d{1,2}(:\d{2})?(am|pm)?$")


@dataclass(frozen=True)
class Command:
    """One parsed command; only the fields its name uses are set."""

    name: str
    category: str | None = None
    level: str | None = None
    categories: tuple[str, ...] = ()
    time: str | None = None
    timezone: str | None = None
    days: int | None = None
    period: str = "week"
    code: str | None = None
    channel: str | None = None  # as typed: the adapter resolves a platform mention
    off: bool = False  # qotd off
    slug: str | None = None  # remove <id>
    subject: str | None = None  # export questions: the server's own questions, not the learner's data
    minutes: int | None = None  # a mock interview's length
    goal_date: str | None = None  # goal: YYYY-MM-DD or "off"; None shows the goal
    new_per_day: int | None = None  # pace
    max_reviews: int | None = None  # pace


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def canonical_zone(word: str) -> str | None:
    """An IANA name in any case ("europe/berlin" -> "Europe/Berlin"), or None when it is not one."""
    return _zones().get(word.lower())


def _suggest(word: str, choices: list[str]) -> str | None:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return found[0] if found else None


def _words(text: str) -> list[str]:
    text = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", text.strip(), flags=re.IGNORECASE)  # "8:30 pm" -> "8:30pm"
    text = re.sub(r"\bsystem\s+design\b", "system_design", text, flags=re.IGNORECASE)
    text = re.sub(r"\bopt\s+(out|in)\b", r"opt\1", text, flags=re.IGNORECASE)
    text = re.sub(r"\ball[\s-]time\b", "all", text, flags=re.IGNORECASE)
    return [w.strip(".,!;") for w in text.split() if w.strip(".,!;")]


def parse(text: str) -> Command:
    """Raises InvalidInput naming what was wrong (with a suggestion when a word is close to a command)."""
    words = _words(text)
    if not words:
        return Command("help")
    lowered = [w.lower() for w in words]
    for i, word in enumerate(lowered):
        if word in COMMANDS:
            name = COMMANDS[word]
            return _ARGUMENTS.get(name, _bare)(name, words[i + 1 :], lowered[i + 1 :])
    guess = next((g for w in lowered if len(w) > 2 and (g := _suggest(w, sorted(set(COMMANDS.values()))))), None)
    if guess is not None:
        raise InvalidInput(
            f"I don't know '{words[0]}'. Did you mean **{guess}**? Type **help** for everything I understand."
        )
    raise InvalidInput(f"I don't know '{words[0]}'. Type **help** for everything I understand.")


def _filters(lowered: list[str]) -> tuple[list[str], list[str]]:
    """Categories and levels among the words; a near-miss of one is refused with a suggestion."""
    categories, levels = [], []
    for word in lowered:
        if word in CATEGORY_WORDS:
            categories.append(CATEGORY_WORDS[word])
        elif word in LEVELS:
            levels.append(word)
        elif len(word) > 3 and (guess := _suggest(word, [*CATEGORIES, *LEVELS])):
            raise InvalidInput(f"I don't know '{word}'. Did you mean **{guess.replace('_', ' ')}**?")
    return categories, levels


def _bare(name: str, words: list[str], lowered: list[str]) -> Command:
    return Command(name)


def _question(name: str, words: list[str], lowered: list[str]) -> Command:
    categories, levels = _filters(lowered)
    return Command(name, category=categories[0] if categories else None, level=levels[0] if levels else None)


def _subscribe(name: str, words: list[str], lowered: list[str]) -> Command:
    time = next((w for w in lowered if TIME.match(w)), None)
    if time is None:
        raise InvalidInput("Tell me when, e.g. **subscribe 08:30** or **subscribe 8:30pm Europe/Berlin databases**.")
    zone = next((z for w in words if (z := canonical_zone(w))), None)
    rest = [w for w in lowered if w != time and canonical_zone(w) is None]
    categories, _ = _filters(rest)
    return Command(name, time=time, timezone=zone, categories=tuple(dict.fromkeys(categories)))


def _snooze(name: str, words: list[str], lowered: list[str]) -> Command:
    days = next((int(w) for w in lowered if w.isdigit()), None)
    if days is None:
        raise InvalidInput("For how many days? e.g. **snooze 7** (**snooze 0** resumes).")
    return Command(name, days=days)


def _timezone(name: str, words: list[str], lowered: list[str]) -> Command:
    if not words:
        raise InvalidInput("Which timezone? e.g. **timezone Europe/Berlin** (an IANA name).")
    return Command(name, timezone=canonical_zone(words[0]) or words[0])


def _leaderboard(name: str, words: list[str], lowered: list[str]) -> Command:
    return Command(name, period="all" if "all" in lowered else "week")


def _link(name: str, words: list[str], lowered: list[str]) -> Command:
    """Digits typed after "link" are a code to redeem, however spaced or decorated ("042 917",
    "*042917*"); the core says when they are not one. Without digits the learner asks for a code."""
    digits = "".join(ch for word in lowered for ch in word if ch.isdigit())
    return Command(name, code=digits or None)


def _export(name: str, words: list[str], lowered: list[str]) -> Command:
    return Command(name, subject="questions" if "questions" in lowered or "question" in lowered else None)


def _remove(name: str, words: list[str], lowered: list[str]) -> Command:
    if not words:
        raise InvalidInput("Which question? e.g. **remove my-question-id**.")
    return Command(name, slug=words[-1])


def _qotd(name: str, words: list[str], lowered: list[str]) -> Command:
    channel = next((w for w in words if w.startswith(("<#", "#"))), None)
    if "off" in lowered or "stop" in lowered:
        return Command(name, off=True, channel=channel)
    time = next((w for w in lowered if TIME.match(w)), None)
    zone = next((z for w in words if (z := canonical_zone(w))), None)
    if time is None or zone is None:
        raise InvalidInput(QOTD_HELP)
    return Command(name, channel=channel, time=time, timezone=zone)


def _mock(name: str, words: list[str], lowered: list[str]) -> Command:
    """mock [category] [minutes] [level] | mock history | mock (where you are)."""
    if "history" in lowered or "past" in lowered:
        return Command(name, subject="history")
    minutes = next((int(w) for w in lowered if w.isdigit()), None)
    categories, levels = _filters([w for w in lowered if not w.isdigit() and w not in ("min", "minutes")])
    return Command(name, category=categories[0] if categories else None, level=levels[0] if levels else None,
                   minutes=minutes)  # fmt: skip


GOAL_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _goal(name: str, words: list[str], lowered: list[str]) -> Command:
    """goal 2027-01-15 [categories] [level] · goal off · goal (shows it)."""
    if any(w in ("off", "clear", "none") for w in lowered):
        return Command(name, goal_date="off")
    day = next((w for w in lowered if GOAL_DATE.match(w)), None)
    if day is None and any(ch.isdigit() for w in lowered for ch in w):
        raise InvalidInput("Write the goal date as YYYY-MM-DD, e.g. **goal 2027-01-15 databases senior**.")
    categories, levels = _filters([w for w in lowered if w != day])
    return Command(name, goal_date=day, categories=tuple(dict.fromkeys(categories)), level=levels[-1] if levels else None)


def _pace(name: str, words: list[str], lowered: list[str]) -> Command:
    """pace new 3 reviews 40 · pace 3 40 (new, then reviews) · pace (shows it)."""
    numbers: dict[str, int] = {}
    bare: list[int] = []
    label = None
    for word in lowered:
        if word in ("new", "reviews", "review"):
            label = "new" if word == "new" else "reviews"
        elif word.isdigit():
            if label is not None:
                numbers[label] = int(word)
            else:
                bare.append(int(word))
            label = None
        elif word not in ("a", "per", "day", "questions", "max", "at", "most"):
            raise InvalidInput("Try **pace new 3 reviews 40**: at most 3 new questions and 40 reviews a day.")
    for slot, value in zip(("new", "reviews"), bare):
        numbers.setdefault(slot, value)
    return Command(name, new_per_day=numbers.get("new"), max_reviews=numbers.get("reviews"))


_ARGUMENTS = {
    "question": _question, "review": _question, "subscribe": _subscribe, "snooze": _snooze,
    "timezone": _timezone, "leaderboard": _leaderboard, "link": _link, "export": _export,
    "remove": _remove, "qotd": _qotd, "mock": _mock, "goal": _goal, "pace": _pace,
}  # fmt: skip

HELP = (
    ("question [category] [level]", "a question: due reviews first, then something new"),
    ("review", "only what is due for review"),
    ("mock [category] [30|45|60] [level] · mock history", "a timed mock interview with follow-ups and a report"),
    ("stats · chart", "your progress and interview readiness, as numbers or a picture"),
    ("goal YYYY-MM-DD [categories] [level] · goal off", "an interview date: the plan spreads the questions over the days left"),
    ("pace [new N] [reviews N]", "at most N new questions and N reviews a day (pace alone shows them)"),
    ("subscribe HH:MM [timezone] [categories]", "a question every day at your local time"),
    ("unsubscribe · snooze N", "stop daily questions, or pause them for N days (0 resumes)"),
    ("timezone NAME", "your study day's zone, e.g. Europe/Berlin"),
    ("leaderboard [week|all] · optout · optin", "this workspace's most regular learners; leave or rejoin it"),
    ("link [code]", "get a code, or enter one, to share one schedule across Discord and Slack"),
    ("export · forget-me", "download everything about you, or delete it"),
)
ADMIN_HELP = (
    ("qotd set #channel HH:MM Timezone · qotd off", "a question of the day in a channel"),
    ("import · export questions · remove ID", "this workspace's own questions (share a YAML file with me to import)"),
)


def help_reply() -> Reply:
    fields = tuple(Field(usage, what, inline=False) for usage, what in HELP)
    admin = tuple(Field(usage, what, inline=False) for usage, what in ADMIN_HELP)
    return Reply(
        title="Interview practice: what I understand",
        body="Categories: system design, databases, behavioral, backend. Levels: junior, mid, senior, staff.",
        fields=(*fields, Field("For workspace admins", "", inline=False), *admin),
        kind="info",
    )


def import_help_reply() -> Reply:
    return Reply(
        title="Import questions",
        body=(
            "Share a YAML file with me in a direct message (drag it into this conversation) and I will import it "
            "for this workspace. Same format as the shipped bank; nothing is stored unless every question is valid."
        ),
        kind="info",
    )


def questions_export_reply(yaml_text: str) -> Reply:
    return Reply(
        title="This workspace's questions",
        body="Edit the file and share it with me again to update them (same ids are replaced, new ones added).",
        files=(File("questions.yaml", yaml_text.encode("utf-8"), "The workspace's own questions, as YAML"),),
        kind="info",
    )
