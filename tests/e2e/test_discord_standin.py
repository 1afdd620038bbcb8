"""The Discord stand-in behaves as Discord does where the bot and the push workers depend on it."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest
import yarl

from tests.fakes.discord_api import CALLBACK, CREATE_MESSAGE, DiscordStandIn, choice_problems, message_problems
from tests.fakes.discord_payloads import slash


@pytest.fixture
async def standin():
    async with DiscordStandIn() as server:
        yield server


@pytest.fixture
async def rest(standin):
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{standin.port}", headers=headers) as session:
        yield session


async def post(session, path, body):
    async with session.post("/api/v10" + path, json=body) as response:
        assert response.headers["Content-Type"] == "application/json"
        return response.status, await response.json(), response.headers


async def test_a_repeated_nonce_returns_the_first_message(standin, rest):
    body = {"content": "hi", "nonce": "d-1", "enforce_nonce": True}
    status, first, _ = await post(rest, "/channels/42/messages", body)
    status2, again, _ = await post(rest, "/channels/42/messages", body)
    assert status == status2 == 200 and again["id"] == first["id"]
    assert standin.messages_per_channel["42"] == 1


async def test_closed_and_unreachable_dms_answer_403_with_their_codes(standin, rest):
    standin.closed_dms.add("1")
    standin.unreachable.add("2")
    for user_id, code in (("1", 50007), ("2", 50278)):
        _, channel, _ = await post(rest, "/users/@me/channels", {"recipient_id": user_id})
        status, body, _ = await post(rest, f"/channels/{channel['id']}/messages", {"content": "daily question"})
        assert (status, body["code"]) == (403, code)
    _, open_dm, _ = await post(rest, "/users/@me/channels", {"recipient_id": "3"})
    assert (await post(rest, f"/channels/{open_dm['id']}/messages", {"content": "ok"}))[0] == 200


async def test_the_global_limit_answers_429_as_discord_does(standin, rest):
    standin.limit_per_s = 5
    statuses = [(await post(rest, "/channels/7/messages", {"content": str(i)})) for i in range(6)]
    assert [s for s, _, _ in statuses] == [200] * 5 + [429]
    _, body, headers = statuses[-1]
    assert body["global"] is True and 0 < body["retry_after"] <= 1
    assert headers["Via"] and int(headers["Retry-After"]) >= 1
    assert standin.rate_limited == 1 and standin.requests == 6


@pytest.mark.parametrize(
    "body",
    [
        {"content": "x" * 2001},
        {"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v" * 1025}]}]},
        {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
        {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
        {"embeds": [{"footer": {"text": "f" * 2049}}]},
    ],
)
async def test_a_message_over_discords_limits_is_refused(standin, rest, body):
    status, answered, _ = await post(rest, "/channels/7/messages", body)
    assert (status, answered["code"]) == (400, 50035)
    assert standin.messages_per_channel["7"] == 0


def test_uploads_and_autocomplete_choices_are_checked_against_their_limits():
    assert message_problems({}, {"a.json": b"x" * 11}, 10) == ["a.json: 11 bytes, over the 10-byte upload limit"]
    assert message_problems({}, {"a.json": b"x" * 10}, 10) == []
    assert choice_problems([{"name": "n" * 101, "value": "v"}]) == ["choice name of 101 characters (1-100)"]
    assert choice_problems([{"name": "n", "value": "v"}] * 26) == ["26 choices, over 25"]


async def test_forced_429s_hit_only_their_route(standin, rest):
    standin.force_429(CREATE_MESSAGE, times=2, retry_after=0.01)
    assert (await post(rest, "/users/@me/channels", {"recipient_id": "5"}))[0] == 200
    assert [(await post(rest, "/channels/9/messages", {"content": "x"}))[0] for _ in range(3)] == [429, 429, 200]


async def test_a_wrong_token_is_refused(standin):
    async with aiohttp.ClientSession() as session:
        async with session.get(standin.api_base + "/users/@me", headers={"Authorization": "Bot nope"}) as response:
            assert response.status == 401


@pytest.fixture
def patched(standin, monkeypatch):
    monkeypatch.setattr(discord.http.Route, "BASE", standin.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(standin.gateway_url))


async def run_client(standin, respond):
    """A bare discord.py client with one /ping command answered by `respond`; returns its callback."""
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.05)
    tree = discord.app_commands.CommandTree(client)
    outcome: list[BaseException | None] = []

    @tree.command(name="ping", description="ping")
    async def ping(interaction: discord.Interaction) -> None:
        try:
            await respond(interaction)
            outcome.append(None)
        except discord.HTTPException as exc:
            outcome.append(exc)

    task = asyncio.create_task(client.start(standin.token))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 5)
        payload = slash("ping", 123)
        await standin.interact(payload)
        while not outcome:
            await asyncio.sleep(0.01)
        return payload, outcome[0]
    finally:
        await client.close()
        await task


async def test_a_real_client_logs_in_receives_an_interaction_and_answers_it(standin, patched):
    async def respond(interaction):
        await interaction.response.send_message("pong", ephemeral=True)

    payload, error = await run_client(standin, respond)
    assert error is None
    callback = standin.routed(CALLBACK)[0]
    assert callback.body["type"] == 4 and callback.body["data"]["flags"] == 64
    assert standin.original(payload["token"])["content"] == "pong"
    assert standin.identifies == 1


async def test_a_late_first_response_is_an_unknown_interaction(standin, patched):
    standin.response_deadline_s = 0.05

    async def respond(interaction):
        await asyncio.sleep(0.1)
        await interaction.response.send_message("too late")

    _, error = await run_client(standin, respond)
    assert isinstance(error, discord.NotFound) and error.code == 10062


async def test_followups_fill_the_thinking_message_then_add_messages(standin, patched):
    async def respond(interaction):
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("filled in")
        await interaction.followup.send("another")
        await interaction.edit_original_response(content="edited")

    payload, error = await run_client(standin, respond)
    assert error is None
    original = standin.original(payload["token"])
    assert original["content"] == "edited" and original["flags"] == 64  # loading flag cleared
    assert [m["content"] for m in standin.messages.values()] == ["edited", "another"]


async def test_the_gateway_handshake_and_a_double_acknowledgement(standin, rest):
    async with rest.ws_connect(standin.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello == {"op": 10, "d": {"heartbeat_interval": 41250}}
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json())["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": standin.token, "intents": 0, "properties": {}}})
        ready = await ws.receive_json()
        assert ready["t"] == "READY" and ready["d"]["application"]["id"] == standin.application_id
        payload = slash("ping", 5)
        await standin.interact(payload)
        dispatched = await ws.receive_json()
        assert dispatched["t"] == "INTERACTION_CREATE" and dispatched["d"]["token"] == payload["token"]
    path = f"/interactions/{payload['id']}/{payload['token']}/callback"
    first, body, _ = await post(rest, path, {"type": 5, "data": {"flags": 64}})
    assert first == 200 and body["resource"]["message"]["flags"] == 64 | 128
    second, body, _ = await post(rest, path, {"type": 5})
    assert (second, body["code"]) == (400, 40060)
