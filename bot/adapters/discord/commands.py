"""The slash commands. Each names its options for Discord and hands them to one core use case;
`interactions` acknowledges, shows the reply and translates errors. No business rules here.

Server settings (/qotd, /bank) are hidden from members without Manage Server by Discord
(default_permissions), refused here if a request claims otherwise (has_permissions checks the
member's permissions Discord computed for the interaction), and refused again by the core (is_admin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.adapters.discord import render
from bot.adapters.discord.interactions import is_admin, learner, respond, tenant
from bot.core.custom import check_import_size
from bot.core.mock import Where
from bot.core.replies import Reply
from question_bank.schema import CATEGORIES, CATEGORY_NAMES, LEVELS

if TYPE_CHECKING:
    from bot.bootstrap import App

CATEGORY_CHOICES = [Choice(name=CATEGORY_NAMES[c], value=c) for c in CATEGORIES]
LEVEL_CHOICES = [Choice(name=level.capitalize(), value=level) for level in LEVELS]
PERIOD_CHOICES = [Choice(name="This week", value="week"), Choice(name="All time", value="all")]
VISIBILITY_CHOICES = [Choice(name="Show me", value="show"), Choice(name="Hide me", value="hide")]
MANAGE_SERVER = discord.Permissions(manage_guild=True)
SERVERS_ONLY = app_commands.AppCommandContext(guild=True)
AUTOCOMPLETE_MAX = 25  # Discord shows at most 25 suggestions
T = TypeVar("T")


class PostableChannel(app_commands.Transformer):
    """A text or announcement channel, taken from the interaction's resolved data (no cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: app_commands.AppCommandChannel):
        if value.type not in self.channel_types:  # Discord filters the picker; a crafted request may not
            raise app_commands.TransformerError(value, self.type, self)
        return value


Channel = app_commands.Transform[app_commands.AppCommandChannel, PostableChannel]


def in_server(interaction: discord.Interaction) -> bool:
    """A server's leaderboard or settings need a server, whatever a crafted request says."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return True


def server_admin(command: T) -> T:
    """Server settings: used in a server (checked first, so a DM gets that reason) by a member whose
    interaction permissions include Manage Server."""
    in_a_server = app_commands.check(in_server)(command)
    return app_commands.checks.has_permissions(manage_guild=True)(in_a_server)


def server(interaction: discord.Interaction) -> str:
    """The tenant of a command that `in_server` already admitted."""
    return f"discord:{interaction.guild_id}"


def zone_choices(app: App, current: str) -> list[Choice[str]]:
    return [Choice(name=name, value=name) for name in app.subscriptions.timezones(current, AUTOCOMPLETE_MAX)]


def category_list_choices(current: str) -> list[Choice[str]]:
    """Suggestions for a comma-separated category list: what is typed so far plus one more category."""
    *done, typing = [part.strip().lower().replace(" ", "_") for part in current.split(",")]
    # Only known categories, each once: a suggestion stays far below Discord's 100 characters, whatever is typed.
    chosen = list(dict.fromkeys(part for part in done if part in CATEGORIES))
    suggestions = []
    for slug in CATEGORIES:
        if slug in chosen or not slug.startswith(typing):
            continue
        value = ", ".join([*chosen, slug])
        suggestions.append(Choice(name=value, value=value))
    return suggestions[:AUTOCOMPLETE_MAX]


class Practice(commands.Cog):
    def __init__(self, app: App):
        self.app = app

    @app_commands.command(description="A question to practise: due reviews first, then something new.")
    @app_commands.describe(
        category="Only this category", level="Only this level", public="Post it in the channel for discussion"
    )
    @app_commands.choices(category=CATEGORY_CHOICES, level=LEVEL_CHOICES)
    async def question(
        self,
        interaction: discord.Interaction,
        category: str | None = None,
        level: str | None = None,
        public: bool = False,
    ) -> None:
        work = self.app.practice.next_question(learner(interaction), category, level, tenant=tenant(interaction))
        await respond(interaction, work, public=public)

    @app_commands.command(description="Your next due review, or when the next one is.")
    async def review(self, interaction: discord.Interaction) -> None:
        who = learner(interaction)
        await respond(interaction, self.app.practice.next_question(who, reviews_only=True, tenant=tenant(interaction)))

    @app_commands.command(description="Due reviews, retention, streak and progress per category.")
    async def stats(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.progress.stats(learner(interaction), tenant=tenant(interaction)))

    @app_commands.command(description="A chart of your reviews and what is coming due.")
    async def chart(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.progress.chart(learner(interaction), tenant=tenant(interaction)))

    @app_commands.command(description="Set your timezone, so your study day is your own.")
    @app_commands.describe(name="An IANA timezone such as Europe/Berlin (start typing to search)")
    async def timezone(self, interaction: discord.Interaction, name: str) -> None:
        await respond(interaction, self.app.practice.set_timezone(learner(interaction), name))

    @timezone.autocomplete("name")
    async def _timezone_names(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return zone_choices(self.app, current)


class Plan(commands.Cog):
    """The study plan: an interview date to prepare for, and the learner's daily pace."""

    def __init__(self, app: App):
        self.app = app

    @app_commands.command(description="Prepare for an interview date: the plan spreads the questions over the days left.")
    @app_commands.describe(
        date="The interview date, YYYY-MM-DD (\"off\" clears the goal; leave empty to see it)",
        categories="Only these categories, comma-separated (default: all)",
        level="Up to this level (default: all)",
    )
    @app_commands.choices(level=LEVEL_CHOICES)
    async def goal(
        self, interaction: discord.Interaction, date: str | None = None, categories: str | None = None,
        level: str | None = None,
    ) -> None:  # fmt: skip
        who, where = learner(interaction), tenant(interaction)
        if date is None:
            await respond(interaction, self.app.plan.goal(who, where))
            return
        chosen = [categories] if categories else []
        await respond(interaction, self.app.plan.set_goal(who, date, chosen, level, where))

    @goal.autocomplete("categories")
    async def _goal_categories(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return category_list_choices(current)

    @app_commands.command(description="Your daily limits: new questions and reviews a day (empty: show them).")
    @app_commands.describe(new="At most this many new questions a day", reviews="At most this many reviews a day")
    async def pace(
        self, interaction: discord.Interaction, new: app_commands.Range[int, 0, 100] | None = None,
        reviews: app_commands.Range[int, 1, 1000] | None = None,
    ) -> None:  # fmt: skip
        await respond(interaction, self.app.plan.set_pace(learner(interaction), new, reviews))


class DailyQuestion(commands.Cog):
    def __init__(self, app: App):
        self.app = app

    @app_commands.command(description="Get a question by direct message every day at your local time.")
    @app_commands.describe(
        time="Local time, e.g. 08:30 or 8:30pm",
        timezone="An IANA timezone such as Europe/Berlin (default: your saved one)",
        categories="Only these categories, comma-separated (default: all)",
    )
    async def subscribe(
        self, interaction: discord.Interaction, time: str, timezone: str | None = None, categories: str | None = None
    ) -> None:
        await respond(interaction, self._subscribe(interaction, time, timezone, categories))

    async def _subscribe(
        self, interaction: discord.Interaction, time: str, timezone: str | None, categories: str | None
    ) -> Reply:
        """Save the subscription first (nothing is lost if DMs fail), then confirm it by DM, which
        also tells the learner now, not tomorrow, if their DMs are closed to the bot."""
        dm = await interaction.user.create_dm()
        reply = await self.app.subscriptions.subscribe(
            learner(interaction), time, timezone, [categories] if categories else (),
            tenant=tenant(interaction), dm_channel_id=str(dm.id),
        )  # fmt: skip
        embed, _ = render.render(reply)
        try:
            await dm.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            return render.dm_failed(reply, exc.code if isinstance(exc, discord.Forbidden) else None)
        return reply

    @subscribe.autocomplete("timezone")
    async def _subscribe_zones(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return zone_choices(self.app, current)

    @subscribe.autocomplete("categories")
    async def _subscribe_categories(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return category_list_choices(current)

    @app_commands.command(description="Stop your daily question.")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.subscriptions.unsubscribe(learner(interaction)))

    @app_commands.command(description="Pause your daily question for a few days (0 resumes it).")
    @app_commands.describe(days="Days to pause, 0 to resume now")
    async def snooze(self, interaction: discord.Interaction, days: app_commands.Range[int, 0, 365]) -> None:
        await respond(interaction, self.app.subscriptions.snooze(learner(interaction), days))


class Server(commands.Cog):
    """What belongs to one server: its leaderboard, question of the day and own questions."""

    qotd = app_commands.Group(
        name="qotd", description="The server's question of the day", default_permissions=MANAGE_SERVER,
        guild_only=True, allowed_contexts=SERVERS_ONLY,
    )  # fmt: skip
    bank = app_commands.Group(
        name="bank", description="The server's own questions", default_permissions=MANAGE_SERVER,
        guild_only=True, allowed_contexts=SERVERS_ONLY,
    )  # fmt: skip

    def __init__(self, app: App):
        self.app = app

    @app_commands.command(description="This server's most consistent learners.")
    @app_commands.describe(period="This week (default) or all time")
    @app_commands.choices(period=PERIOD_CHOICES)
    @app_commands.guild_only()
    @app_commands.check(in_server)
    async def leaderboard(self, interaction: discord.Interaction, period: str = "week") -> None:
        work = self.app.progress.leaderboard(learner(interaction), server(interaction), period)
        await respond(interaction, work)

    @qotd.command(name="set", description="Post a question of the day in a channel at a local time.")
    @app_commands.describe(channel="Where to post", time="Local time, e.g. 09:00", timezone="An IANA timezone")
    @server_admin
    async def qotd_set(self, interaction: discord.Interaction, channel: Channel, time: str, timezone: str) -> None:
        work = self.app.subscriptions.qotd_set(
            learner(interaction), tenant=server(interaction), channel_id=str(channel.id), time=time,
            timezone=timezone, is_admin=is_admin(interaction),
        )  # fmt: skip
        await respond(interaction, work)

    @qotd_set.autocomplete("timezone")
    async def _qotd_zones(self, interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return zone_choices(self.app, current)

    @qotd.command(name="off", description="Stop the question of the day (in one channel, or everywhere).")
    @app_commands.describe(channel="Only this channel (default: every channel of this server)")
    @server_admin
    async def qotd_off(self, interaction: discord.Interaction, channel: Channel | None = None) -> None:
        work = self.app.subscriptions.qotd_off(
            learner(interaction), tenant=server(interaction), channel_id=str(channel.id) if channel else None,
            is_admin=is_admin(interaction),
        )  # fmt: skip
        await respond(interaction, work)

    @bank.command(name="import", description="Add or update this server's own questions from a YAML file.")
    @app_commands.describe(file="A YAML file in the question bank format")
    @server_admin
    async def bank_import(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        await respond(interaction, self._import(interaction, file))

    async def _import(self, interaction: discord.Interaction, file: discord.Attachment) -> Reply:
        check_import_size(file.filename, file.size)  # before downloading it
        return await self.app.custom.import_yaml(
            server(interaction), is_admin=is_admin(interaction), actor=f"discord:{interaction.user.id}",
            filename=file.filename, data=await file.read(),
        )  # fmt: skip

    @bank.command(name="export", description="This server's own questions as a YAML file.")
    @server_admin
    async def bank_export(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self._export(interaction))

    async def _export(self, interaction: discord.Interaction) -> Reply:
        text = await self.app.custom.export_yaml(server(interaction), is_admin=is_admin(interaction))
        return render.bank_export(text)

    @bank.command(name="remove", description="Stop serving one of this server's own questions.")
    @app_commands.describe(question_id="The id the question has in your YAML file")
    @server_admin
    async def bank_remove(self, interaction: discord.Interaction, question_id: str) -> None:
        work = self.app.custom.remove(server(interaction), question_id, is_admin=is_admin(interaction))
        await respond(interaction, work)


class Account(commands.Cog):
    """The learner's own data: linking identities, privacy, export and deletion."""

    def __init__(self, app: App):
        self.app = app

    @app_commands.command(description="Link your Discord and Slack progress: get a code, or enter one.")
    @app_commands.describe(code="The 6-digit code from the other platform (leave empty to get one)")
    async def link(self, interaction: discord.Interaction, code: str | None = None) -> None:
        who = learner(interaction)
        work = self.app.accounts.link(who, code) if code else self.app.accounts.link_code(who)
        await respond(interaction, work)

    @app_commands.command(description="Show or hide your name on leaderboards.")
    @app_commands.describe(leaderboard="Show me (default) or hide me")
    @app_commands.choices(leaderboard=VISIBILITY_CHOICES)
    async def privacy(self, interaction: discord.Interaction, leaderboard: str) -> None:
        work = self.app.progress.set_leaderboard_opt_out(learner(interaction), leaderboard == "hide")
        await respond(interaction, work)

    @app_commands.command(name="export-my-data", description="Everything the bot keeps about you, as a JSON file.")
    async def export_my_data(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.accounts.export(learner(interaction)))

    @app_commands.command(name="forget-me", description="Delete everything the bot keeps about you (asks first).")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.accounts.forget_prompt(learner(interaction)))


MOCK_LENGTHS = [Choice(name=f"{m} minutes (system design)", value=m) for m in (30, 45, 60)]
MOCK_PLACES = [
    Choice(name="In my direct messages", value="dm"),
    Choice(name="In a private thread here", value="thread"),
    Choice(name="Here, visible only to me", value="here"),
]
PRIVATE_THREAD = 12


async def post(channel: discord.abc.Messageable, reply: Reply) -> None:
    """A reply as a new message (with its buttons) where a mock interview runs: a DM or a private thread."""
    embed, view = render.render(reply)
    await channel.send(embed=embed, view=view or discord.utils.MISSING, allowed_mentions=discord.AllowedMentions.none())


class MockInterview(commands.Cog):
    mock = app_commands.Group(name="mock", description="Timed mock interviews with follow-ups and a report.")

    def __init__(self, app: App):
        self.app = app

    @mock.command(name="start", description="Start a timed mock interview (private).")
    @app_commands.describe(
        category="What the interview is about", minutes="System design only: 30, 45 or 60 (default 45)",
        level="The level to practise at (default mid)", where="Where it runs (default: your direct messages)",
    )  # fmt: skip
    @app_commands.choices(category=CATEGORY_CHOICES, minutes=MOCK_LENGTHS, level=LEVEL_CHOICES, where=MOCK_PLACES)
    async def start(
        self, interaction: discord.Interaction, category: str, minutes: int | None = None, level: str | None = None,
        where: str = "dm",
    ) -> None:  # fmt: skip
        if where == "thread" and interaction.guild_id is not None:
            await respond(interaction, self._start_in_thread(interaction, category, minutes, level))
            return
        if where == "here":
            place = Where("discord", recipient=str(interaction.user.id))  # reminders by DM when they can
            work = self.app.mocks.start(learner(interaction), category, minutes=minutes, level=level,
                                        tenant=tenant(interaction), where=place)  # fmt: skip
            await respond(interaction, work)
            return
        await respond(interaction, self._start_in_dms(interaction, category, minutes, level))

    async def _start_in_dms(
        self, interaction: discord.Interaction, category: str, minutes: int | None, level: str | None
    ) -> Reply:
        dm = await interaction.user.create_dm()
        place = Where("discord", recipient=str(interaction.user.id), channel_id=str(dm.id))
        reply = await self.app.mocks.start(learner(interaction), category, minutes=minutes, level=level,
                                           tenant=tenant(interaction), where=place)  # fmt: skip
        try:
            await post(dm, reply)
        except discord.HTTPException as exc:  # DMs closed: the mock still runs here, privately
            return render.dm_failed(reply, exc.code if isinstance(exc, discord.Forbidden) else None)
        return Reply(title="Mock interview started", body=render.MOCK_IN_DMS, kind="info")

    async def _start_in_thread(
        self, interaction: discord.Interaction, category: str, minutes: int | None, level: str | None
    ) -> Reply:
        """A private thread off this channel with just the learner and the bot: the round and its
        reminders go there. Without the permission to make one, the learner is told to use DMs."""
        who = learner(interaction)
        running = await self.app.mocks.current(who, tenant=tenant(interaction))
        if any(a.key.startswith("mdone:") for a in running.actions):
            return running
        http = interaction.client.http
        try:
            thread = await http.start_thread_without_message(
                interaction.channel_id, name=render.clip(f"Mock interview · {interaction.user.display_name}", 100),
                auto_archive_duration=1440, type=PRIVATE_THREAD, invitable=False,
            )  # fmt: skip
            await http.add_user_to_thread(thread["id"], interaction.user.id)
        except discord.HTTPException:
            return Reply(title="No private thread here", body=render.NO_THREAD, kind="error")
        place = Where("discord", recipient=str(interaction.user.id), channel_id=str(thread["id"]))
        reply = await self.app.mocks.start(who, category, minutes=minutes, level=level, tenant=tenant(interaction),
                                           where=place)  # fmt: skip
        await post(interaction.client.get_partial_messageable(int(thread["id"]), guild_id=interaction.guild_id), reply)
        return Reply(title="Mock interview started", body=render.mock_in_thread(thread["id"]), kind="info")

    @mock.command(name="now", description="Where you are in your mock interview.")
    async def now(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.mocks.current(learner(interaction), tenant=tenant(interaction)))

    @mock.command(name="history", description="Your past mock interviews and how they went.")
    async def history(self, interaction: discord.Interaction) -> None:
        await respond(interaction, self.app.mocks.history(learner(interaction)))


def cogs(app: App) -> list[commands.Cog]:
    return [Practice(app), Plan(app), DailyQuestion(app), Server(app), Account(app), MockInterview(app)]
