"""Two Rasa processes behind the Redis lock store and one Redis socket.io queue: a client on
each, in one conversation; every message crosses from one process to the other."""

from __future__ import annotations

import pytest
import requests

from tests.channels.chat import connect, new_conversation, token
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration


async def test_a_customer_on_one_process_and_an_agent_on_another_see_each_others_messages(
    web: Server, web_other: Server
) -> None:
    conversation = new_conversation()
    customer = await connect(web.url, "customer-1")  # signed in as Jane Doe
    agent = await connect(web_other.url, "alice", role="agent")
    try:
        await customer.join(conversation)
        joined = await agent.join(conversation)
        assert {p["id"] for p in joined["participants"]} == {
            "bot",
            "customer-1",
            "alice",
        }, "participants are shared"
        await customer.wait_for("user_joined", lambda d: d["user"]["id"] == "alice")
        await customer.send(conversation, "where is my order 48213")
        reply = await agent.bot_reply(conversation, "1Z999AA10123456784")
        assert reply["sender"]["role"] == "bot"
        assert [m["content"] for m in agent.messages(conversation, "customer")] == ["where is my order 48213"]
        await agent.send(conversation, "Anything else about that order?")
        got = await customer.wait_for(
            "message_received", lambda d: d["message"]["sender"]["id"] == "alice", timeout=10
        )
        assert got[0]["message"]["content"] == "Anything else about that order?"
    finally:
        await customer.close()
        await agent.close()


async def test_a_widget_on_one_process_gets_replies_to_messages_sent_through_the_other(
    web: Server, web_other: Server
) -> None:
    widget = await connect(web.url)
    other_tab = await connect(web_other.url)
    try:
        await widget.emit("session_request", {"session_id": None})
        session_id = (await widget.wait_for("session_confirm"))[0]
        await other_tab.emit("session_request", {"session_id": session_id})
        await other_tab.wait_for("session_confirm")
        await other_tab.emit("user_uttered", {"message": "where is my order 48213", "session_id": session_id})
        for client in (widget, other_tab):
            await client.wait_for("bot_uttered", lambda d: "postcode" in d.get("text", ""))
        await widget.emit("user_uttered", {"message": "62701", "session_id": session_id})
        for client in (widget, other_tab):
            answer = await client.wait_for("bot_uttered", lambda d: "1Z999AA10123456784" in d.get("text", ""))
            assert "shipped" in answer[0]["text"]
        url = f"{web_other.url}/webhooks/webchat/conversations/{session_id.partition('~')[0]}/messages"
        headers = {"Authorization": f"Bearer {token('alice', role='agent')}"}
        assert (
            requests.post(url, json={"content": "Hi from Alice"}, headers=headers, timeout=10).status_code
            == 201
        )
        pushed = await widget.wait_for("bot_uttered", lambda d: d.get("text") == "Hi from Alice", timeout=10)
        assert pushed[0] == {"text": "Hi from Alice"}
    finally:
        await widget.close()
        await other_tab.close()
