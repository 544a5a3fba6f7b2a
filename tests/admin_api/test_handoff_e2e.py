"""The whole handoff with real servers: a customer on the web socket asks for a human, hears
where they stand while they wait, an agent signed in to the admin API takes the conversation
from the queue, replies (the customer's socket receives it), hands it back, and the bot answers
the customer's next message. Also the customers' chat API with real Rasa turns, the choices a
queued customer is offered, REST delivery, and the web channel's own agent endpoint going
through the same handoff code."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import requests

from tests.admin_api.conftest import AGENT_EMAIL, JANE_EMAIL, StackApi
from tests.admin_api.server import data
from tests.channels.chat import new_conversation, token

pytestmark = pytest.mark.integration
TRACKING = "1Z999AA10123456784"


async def test_a_whole_handoff_from_the_socket_to_an_agent_and_back_to_the_bot(stack_api: StackApi) -> None:
    api, rasa = stack_api.api, stack_api.rasa
    data(api.agent.get("/api/admin/queue"))  # the agent is signed in (and seen) before the customer asks
    conversation = new_conversation()
    customer = await _signed_in_socket(rasa.url, api.token_for(JANE_EMAIL))
    try:
        await customer.join(conversation)
        await customer.send(conversation, "I want to talk to a human")
        handed = await customer.bot_reply(conversation, "connecting you")
        assert "number 1 in the queue" in handed["content"] or "in the queue" in handed["content"], handed

        await customer.send(conversation, "hello? anyone there?")
        queued = await customer.wait_for("message_received", lambda d: d["message"]["sender"]["role"] == "bot"
                                         and "in the queue" in d["message"]["content"], count=2)  # fmt: skip
        assert "minute" in queued[1]["message"]["content"], "waiting is never silence: place and rough wait"
        bots = len(customer.messages(conversation, "bot"))
        await customer.send(conversation, "still waiting")
        await asyncio.sleep(3)
        assert len(customer.messages(conversation, "bot")) == bots, "not a notice on every message"

        queue = data(api.agent.get("/api/admin/queue"))
        mine = next(c for c in queue if c["id"] == conversation)
        assert mine["channel"] == "webchat" and mine["customer"]["name"] == "Jane Doe"
        assigned = data(api.agent.put(f"/api/admin/conversations/{conversation}/assign", {}))
        assert assigned["status"] == "active" and assigned["assignee"]["name"] == "Alice Agent"

        sent = data(api.agent.post(f"/api/admin/conversations/{conversation}/messages",
                                   {"content": "Hi Jane, Alice here. How can I help?"}), 201)  # fmt: skip
        got = await customer.wait_for("message_received", lambda d: d["message"]["sender"]["role"] == "agent")
        assert got[0]["message"]["content"] == "Hi Jane, Alice here. How can I help?" == sent["content"]

        back = data(api.agent.post(f"/api/admin/conversations/{conversation}/handback",
                                   {"message": "I'm handing you back to our assistant."}))  # fmt: skip
        assert back["status"] == "active" and back["assignee"] is None
        steps = [(h["from"], h["to"], h["by"]["type"]) for h in back["history"]]
        assert steps[-3:] == [
            ("active", "pending", "bot"),
            ("pending", "active", "staff"),
            ("active", "active", "staff"),
        ]

        await customer.send(conversation, "where is my order 48213")
        answer = await customer.bot_reply(conversation, TRACKING)
        assert "UPS" in answer["content"], "the bot answers again, for Jane as the signed-in owner"
        transcript = data(api.agent.get(f"/api/admin/conversations/{conversation}"))["transcript"]
        kinds = {entry["type"] for entry in transcript} | {entry.get("event") for entry in transcript}
        assert {"user", "bot", "agent", "action", "pause", "resume"} <= kinds
    finally:
        await customer.close()


async def _signed_in_socket(url: str, access_token: str):  # type: ignore[no-untyped-def]
    from tests.channels.chat import ChatClient

    return await ChatClient(url, auth={"token": access_token}).connect()


def test_the_chat_api_runs_real_turns_and_a_queued_customer_can_go_back_to_the_bot(
    stack_api: StackApi,
) -> None:
    api = stack_api.api
    started = data(
        api.customer.post(
            "/api/chat/conversations", {"title": "My order", "message": "where is my order 48213"}
        ),
        201,
    )
    assert any(TRACKING in reply["content"] for reply in started["replies"]), started
    cid = started["id"]
    assert cid in [c["id"] for c in data(api.customer.get("/api/chat/conversations"))]
    handed = data(
        api.customer.post(f"/api/chat/conversations/{cid}/messages", {"content": "I want a human"}), 201
    )
    assert "connecting you" in handed["replies"][0]["content"]
    assert data(api.agent.get(f"/api/admin/conversations/{cid}"))["status"] == "pending"
    back = data(
        api.customer.post(f"/api/chat/conversations/{cid}/messages", {"content": "Back to the assistant"}),
        201,
    )
    assert "back with the assistant" in back["replies"][-1]["content"]
    assert data(api.agent.get(f"/api/admin/conversations/{cid}"))["status"] == "active"
    again = data(api.customer.post(f"/api/chat/conversations/{cid}/messages", {"content": "hi"}), 201)
    assert again["replies"], "the bot answers again"
    closed = data(api.customer.put(f"/api/chat/conversations/{cid}", {"status": "closed"}))
    assert closed["status"] == "closed"
    refused = api.customer.post(f"/api/chat/conversations/{cid}/messages", {"content": "hello"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "CONVERSATION_CLOSED"


def test_a_rest_conversation_gets_the_agents_reply_in_its_tracker_and_the_bot_back(
    stack_api: StackApi,
) -> None:
    api, rasa = stack_api.api, stack_api.rasa
    sender = f"rest-{uuid.uuid4().hex[:10]}"

    def say(text: str) -> list:
        url = f"{rasa.url}/webhooks/rest/webhook"
        return requests.post(url, json={"sender": sender, "message": text}, timeout=60).json()

    assert "connecting you" in " ".join(m.get("text", "") for m in say("I want to talk to a human"))
    reply = data(
        api.agent.post(f"/api/admin/conversations/{sender}/messages", {"content": "Alice here: on it."}), 201
    )
    assert reply["delivered_by"] == "tracker"
    detail = data(api.agent.get(f"/api/admin/conversations/{sender}"))
    assert detail["status"] == "active" and detail["assignee"]["name"] == "Alice Agent"
    assert any(e["type"] == "agent" and e["content"] == "Alice here: on it." for e in detail["transcript"])
    data(api.agent.post(f"/api/admin/conversations/{sender}/close", {"reason": "solved"}))
    assert say("hi"), "closing hands the conversation back: the bot answers a customer who returns"


def test_the_web_channels_agent_endpoint_goes_through_the_same_handoff_code(stack_api: StackApi) -> None:
    api, rasa = stack_api.api, stack_api.rasa
    conversation = new_conversation()
    started = data(
        api.customer.post("/api/chat/conversations", {"message": "I want to talk to a human"}), 201
    )
    conversation = started["id"]
    agent = api.accounts[AGENT_EMAIL]
    url = f"{rasa.url}/webhooks/webchat/conversations/{conversation}/messages"
    as_agent = {"Authorization": f"Bearer {token(agent.id, role='agent', name='Alice Agent')}"}
    assert (
        requests.post(url, json={"content": "Taking this one."}, headers=as_agent, timeout=30).status_code
        == 201
    )
    detail = data(api.agent.get(f"/api/admin/conversations/{conversation}"))
    assert detail["status"] == "active" and detail["assignee"]["id"] == agent.id, "the queue's step ran"
    data(api.agent.post(f"/api/admin/conversations/{conversation}/close", {}))
    closed = requests.post(url, json={"content": "one more thing"}, headers=as_agent, timeout=30)
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "INVALID_TRANSITION"
