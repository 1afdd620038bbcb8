"""The Discord client: the gateway connection that receives interactions and routes them.

Built by the CLI with the App (nothing at import time). Commands are registered in setup_hook but
synced to Discord only by `python -m bot discord sync`, never on every start.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.discord import interactions, render
from bot.adapters.discord.commands import cogs
from bot.core.errors import DomainError, InvalidInput, NotAllowed

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)


class Tree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """What stops a command before its use case runs: a check or an option Discord should not have sent.
        Once a use case runs, `interactions` answers whatever happens."""
        if isinstance(error, app_commands.NoPrivateMessage):
            await interactions.refuse(interaction, NotAllowed(render.SERVER_ONLY))
        elif isinstance(error, app_commands.MissingPermissions):
            await interactions.refuse(interaction, NotAllowed(render.MANAGE_SERVER_ONLY))
        elif isinstance(error, app_commands.TransformerError):
            await interactions.refuse(interaction, InvalidInput(render.BAD_CHANNEL))
        else:
            log.error("command %s failed", interaction.command and interaction.command.qualified_name, exc_info=error)
            if not interaction.response.is_done():
                await interactions.refuse(interaction, DomainError())  # "Something went wrong"


class PracticeBot(commands.AutoShardedBot):
    """Interactions only: no message content, no prefix commands, no member lists.

    Sharded: with no shard settings it runs every shard Discord recommends (GET /gateway/bot); with
    shard_count and shard_ids, several processes split one bot's shards. Every interaction carries
    what it needs (server, channel, user), and all state is in the database, so any process can
    answer for the servers on its shards.
    """

    def __init__(self, app: App, **options: Any):
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=Tree,
            **options,
        )
        self.app = app

    async def setup_hook(self) -> None:
        self.add_dynamic_items(render.ActionButton)
        for cog in cogs(self.app):
            await self.add_cog(cog)

    async def on_action(self, interaction: discord.Interaction, key: str) -> None:
        """A click on one of our buttons (render.ActionButton), whenever and wherever it was posted."""
        verb = interactions.parse_verb(key)
        if verb in interactions.FORMS:
            await interactions.open_text_form(interaction, key, verb)
            return
        work = self.app.buttons.press(interactions.learner(interaction), key, tenant=interactions.tenant(interaction))
        await interactions.press(interaction, work)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer and notes forms are handled from their custom_id, so a form opened before a restart
        still counts."""
        key = interactions.form_key(interaction)
        if key is None:
            return
        text = interactions.submitted_text(interaction)
        who, where = interactions.learner(interaction), interactions.tenant(interaction)
        if interactions.parse_verb(key) == "mnote":
            await interactions.submit(interaction, self.app.mocks.add_notes(who, key, text, tenant=where), text)
            return
        await interactions.submit(interaction, self.app.practice.submit_answer(who, key, text, tenant=where), text)


def shard_options(shard_count: int | None, shard_ids: tuple[int, ...]) -> dict[str, Any]:
    if shard_count is None:
        return {}
    return {"shard_count": shard_count, "shard_ids": list(shard_ids) or None}


async def serve(app: App, token: str, *, shard_count: int | None = None, shard_ids: tuple[int, ...] = ()) -> None:
    """Hold the gateway connection(s) until cancelled; leaving closes them cleanly."""
    async with PracticeBot(app, **shard_options(shard_count, shard_ids)) as bot:
        await bot.start(token)


async def sync(app: App, token: str, guild_id: int | None) -> list[str]:
    """Publish the command tree, then disconnect: to one server at once (for trying it out), or
    globally. Done on purpose, not on every start (Discord rate-limits command updates)."""
    async with PracticeBot(app) as bot:
        await bot.login(token)
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        synced = await bot.tree.sync(guild=guild)
    return sorted(command.name for command in synced)
