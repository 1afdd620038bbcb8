"""Our copies of slack-sdk's install tables match slack-sdk's own definitions, and its stores work on
the tables our migrations create (SQLite file and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import (
    AsyncSQLAlchemyOAuthStateStore,
    SQLAlchemyOAuthStateStore,
)
from sqlalchemy import MetaData

from bot.adapters.slack.installs import bot_token_lookup, installation_store
from bot.settings import Settings
from storage.models import Base


def shape(table) -> dict:
    columns = {
        c.name: (type(c.type).__name__, getattr(c.type, "length", None), c.nullable, c.primary_key)
        for c in table.columns
    }
    indexes = {i.name: tuple(c.name for c in i.columns) for i in table.indexes}
    return {"columns": columns, "indexes": indexes}


def test_copied_tables_match_slack_sdk():
    theirs = MetaData()
    expected = [
        SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states"),
    ]
    for table in expected:
        assert shape(Base.metadata.tables[table.name]) == shape(table), table.name


async def test_slack_sdk_stores_work_on_the_migrated_tables(engine):
    store = AsyncSQLAlchemyInstallationStore(client_id="111.222", engine=engine)
    await store.async_save(
        Installation(
            app_id="A1",
            team_id="T9",
            team_name="Nine",
            bot_token="xoxb-nine",
            bot_id="B1",
            bot_user_id="UB",
            bot_scopes=["chat:write"],
            user_id="U1",
            installed_at=datetime.now(timezone.utc).timestamp(),
        )  # fmt: skip
    )
    bot = await store.async_find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None and bot.bot_token == "xoxb-nine"
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=60, engine=engine)
    state = await states.async_issue()
    assert await states.async_consume(state) and not await states.async_consume(state)


async def test_bot_token_lookup_for_one_workspace_and_for_oauth_installs(engine):
    single = bot_token_lookup(Settings(SLACK_BOT_TOKEN="xoxb-one", SLACK_SIGNING_SECRET="s"), engine)
    assert await single("T-anything") == "xoxb-one"
    multi = Settings(SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="secret", SLACK_SIGNING_SECRET="s")
    await installation_store(multi, engine).async_save(
        Installation(app_id="A1", team_id="T9", bot_token="xoxb-nine", bot_id="B1", bot_user_id="UB", user_id="U1")
    )
    lookup = bot_token_lookup(multi, engine)
    assert await lookup("T9") == "xoxb-nine" and await lookup("T0") is None
