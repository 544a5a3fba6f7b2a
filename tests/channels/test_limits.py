"""Limits with clear errors (seed doc "Rate Limiting"): message size, messages per minute per
conversation, connections per address; abuse gets an ``error`` event and the server lives on."""

from __future__ import annotations

import asyncio

import pytest
import requests

from tests.channels.chat import ChatClient, connect, new_conversation
from tests.channels.conftest import CONNECTIONS_PER_IP, EVENTS_PER_MINUTE, MESSAGES_PER_MINUTE
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration


async def test_a_message_over_the_size_limit_gets_an_error_event_and_is_not_processed(web: Server) -> None:
    conversation = new_conversation()
    customer = await connect(web.url)
    try:
        await customer.join(conversation)
        await customer.send(conversation, "a" * 2001)
        error = (await customer.wait_for("error"))[0]
        assert error["code"] == "MESSAGE_TOO_LARGE" and error["details"] == {"limit": 2000, "length": 2001}
        assert error["event"] == "message_send"
        await customer.send(conversation, "hi")
        await customer.bot_reply(conversation, "help")
        assert [m["content"] for m in customer.messages(conversation, "customer")] == ["hi"]
    finally:
        await customer.close()


async def test_too_many_messages_per_minute_in_one_conversation_get_a_rate_limit_error(web: Server) -> None:
    conversation = new_conversation()
    customer = await connect(web.url)
    try:
        await customer.join(conversation)
        for _ in range(MESSAGES_PER_MINUTE + 3):
            await customer.send(conversation, "hi")
        errors = await customer.wait_for("error", count=3)
        assert all(e["code"] == "RATE_LIMIT_EXCEEDED" for e in errors)
        assert (
            errors[0]["details"]["limit"] == MESSAGES_PER_MINUTE
            and errors[0]["details"]["window"] == "1 minute"
        )
        assert 0 < errors[0]["details"]["retry_after"] <= 60
        await customer.wait_for("typing_stop", count=MESSAGES_PER_MINUTE, timeout=60)
        assert len(customer.messages(conversation, "customer")) == MESSAGES_PER_MINUTE
        other = new_conversation()
        await customer.join(other)
        await customer.send(other, "hi")
        await customer.bot_reply(other, "help")
    finally:
        await customer.close()


async def test_connections_from_one_address_are_limited_and_refused_with_a_clear_error(web: Server) -> None:
    address = {"X-Forwarded-For": "198.51.100.23"}
    clients = [await ChatClient(web.url, headers=address).connect() for _ in range(CONNECTIONS_PER_IP)]
    try:
        error = await ChatClient(web.url, headers=address).expect_refusal()
        assert error["code"] == "RATE_LIMIT_EXCEEDED" and error["details"] == {"limit": CONNECTIONS_PER_IP}
        elsewhere = await ChatClient(web.url, headers={"X-Forwarded-For": "198.51.100.24"}).connect()
        await elsewhere.close()
        await clients.pop().close()
        await asyncio.sleep(0.5)
        clients.append(await ChatClient(web.url, headers=address).connect())
    finally:
        for client in clients:
            await client.close()


@pytest.mark.parametrize(
    "event, data, code",
    [
        ("message_send", "just a string", "VALIDATION_ERROR"),
        ("message_send", {"content": "hi"}, "VALIDATION_ERROR"),
        ("message_send", {"conversation_id": "never-joined-123", "content": "hi"}, "FORBIDDEN"),
        ("message_send", {"conversation_id": "../../etc/passwd", "content": "hi"}, "VALIDATION_ERROR"),
        ("join_conversation", {"conversation_id": "x" * 300}, "VALIDATION_ERROR"),
        ("typing_start", None, "VALIDATION_ERROR"),
        ("user_uttered", {"message": "hi"}, "VALIDATION_ERROR"),
        ("user_uttered", {"message": "hi", "session_id": "not-requested-1"}, "FORBIDDEN"),
        ("user_uttered", {"message": ["no"], "session_id": "x"}, "FORBIDDEN"),
    ],
)
async def test_malformed_events_get_an_error_event_and_the_connection_and_server_live_on(
    web: Server, event: str, data: object, code: str
) -> None:
    client = await connect(web.url)
    try:
        await client.emit(event, data)
        error = (await client.wait_for("error", timeout=10))[0]
        assert error["code"] == code and error["event"] == event, error
        assert client.sio.connected
        conversation = new_conversation()
        await client.join(conversation)
    finally:
        await client.close()
    assert requests.get(f"{web.url}/status", timeout=5).ok


async def test_a_socket_flooding_events_gets_rate_limit_errors_and_the_room_is_spared(web: Server) -> None:
    conversation = new_conversation()
    flooder, agent = await connect(web.url), await connect(web.url, "alice", role="agent")
    try:
        await flooder.join(conversation)
        await agent.join(conversation)
        for _ in range(EVENTS_PER_MINUTE + 10):
            await flooder.emit("typing_start", {"conversation_id": conversation})
        errors = await flooder.wait_for("error", count=10)
        assert {(e["code"], e["event"], e["message"]) for e in errors} == {
            ("RATE_LIMIT_EXCEEDED", "typing_start", "Too many events from this connection")
        }
        await agent.wait_for("typing_start", count=EVENTS_PER_MINUTE - 1)
        assert len(agent.received("typing_start")) == EVENTS_PER_MINUTE - 1, "one event was the join"
    finally:
        await flooder.close()
        await agent.close()
