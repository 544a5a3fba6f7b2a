"""System settings: admins read and change them over HTTP (SQLite and PostgreSQL; 422 for bad
values, 403/401 for others), and the assistant honours them in real turns (the Rasa server with
the REST channel and the web channel, and the action server, on the same PostgreSQL): auto replies off hand the
conversation to the agents' queue, the confidence threshold brings the two-stage fallback, the
response length cuts the bot's texts."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Dict, Iterator, List

import pytest
import requests

from assistant.system_settings import CACHE_SECONDS, DEFAULTS
from tests.admin_api.conftest import JANE_EMAIL, Api, StackApi
from tests.admin_api.server import Client, data


def test_admins_read_the_defaults_and_change_settings(api: Api) -> None:
    assert data(api.admin.get("/api/admin/settings")) == DEFAULTS.as_dict()
    changed = data(
        api.admin.put("/api/admin/settings", {"max_response_length": 300, "default_response_style": "formal"})
    )
    assert changed["max_response_length"] == 300 and changed["default_response_style"] == "formal"
    assert changed["auto_reply_enabled"] is True, "settings not given stay as they were"
    again = data(api.admin.get("/api/admin/settings"))
    assert again == changed
    data(api.admin.put("/api/admin/settings", {"ai_confidence_threshold": 1, "auto_reply_enabled": False}))
    stored = data(api.admin.get("/api/admin/settings"))
    assert stored["ai_confidence_threshold"] == 1.0 and stored["auto_reply_enabled"] is False
    assert isinstance(
        data(api.admin.put("/api/admin/settings", {"max_response_length": 20.0}))["max_response_length"], int
    )
    data(api.admin.put("/api/admin/settings", DEFAULTS.as_dict()))


@pytest.mark.parametrize("body", [
    {"ai_confidence_threshold": 1.5}, {"ai_confidence_threshold": -0.1}, {"ai_confidence_threshold": "high"},
    {"max_response_length": 5}, {"max_response_length": 1_000_000}, {"max_response_length": 12.5},
    {"default_response_style": "rude"}, {"auto_reply_enabled": "no"}, {"auto_reply_enabled": 0},
    {"colour": "blue"}, [], "x",
])  # fmt: skip
def test_bad_values_are_a_422_and_change_nothing(api: Api, body: Any) -> None:
    before = data(api.admin.get("/api/admin/settings"))
    answer = api.admin.put("/api/admin/settings", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"
    assert data(api.admin.get("/api/admin/settings")) == before


def test_only_admins(api: Api) -> None:
    for client, status in ((api.agent, 403), (api.customer, 403), (api.anonymous, 401)):
        assert client.get("/api/admin/settings").status_code == status
        assert client.put("/api/admin/settings", {"auto_reply_enabled": False}).status_code == status
    assert data(api.admin.get("/api/admin/settings"))["auto_reply_enabled"] is True


# --- honoured by the assistant: real Rasa turns over the REST channel ---------------------------


@pytest.fixture
def admin(stack_api: StackApi) -> Iterator[Client]:
    """The stack's admin, with the settings back to their defaults afterwards."""
    client = stack_api.api.admin
    data(client.put("/api/admin/settings", DEFAULTS.as_dict()))
    yield client
    data(client.put("/api/admin/settings", DEFAULTS.as_dict()))
    time.sleep(CACHE_SECONDS + 0.2)


def change(admin: Client, **values: Any) -> None:
    data(admin.put("/api/admin/settings", values))
    time.sleep(CACHE_SECONDS + 0.2)  # the Rasa server reads them again after this at most


def say(stack_api: StackApi, sender: str, text: str) -> List[Dict[str, Any]]:
    answer = requests.post(f"{stack_api.rasa.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                           timeout=60)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def tracker(stack_api: StackApi, sender: str) -> Dict[str, Any]:
    return requests.get(f"{stack_api.rasa.url}/conversations/{sender}/tracker", timeout=30).json()


@pytest.mark.integration
def test_max_response_length_cuts_the_bots_texts(stack_api: StackApi, admin: Client) -> None:
    full = say(stack_api, f"len-{uuid.uuid4().hex[:8]}", "hello")
    assert any(len(m.get("text", "")) > 25 for m in full), full
    change(admin, max_response_length=25)
    cut = say(stack_api, f"len-{uuid.uuid4().hex[:8]}", "hello")
    texts = [m["text"] for m in cut if "text" in m]
    assert texts and all(len(t) <= 25 for t in texts) and any(t.endswith("…") for t in texts), texts


@pytest.mark.integration
def test_the_confidence_threshold_brings_the_fallback(stack_api: StackApi, admin: Client) -> None:
    sender = f"conf-{uuid.uuid4().hex[:8]}"
    say(stack_api, sender, "where is my order")
    normal = tracker(stack_api, sender)["latest_message"]["intent"]
    assert normal["name"] != "nlu_fallback" and normal["confidence"] < 1.0
    change(admin, ai_confidence_threshold=1.0)
    sender = f"conf-{uuid.uuid4().hex[:8]}"
    replies = say(stack_api, sender, "where is my order")
    latest = tracker(stack_api, sender)["latest_message"]
    assert latest["intent"] == {"name": "nlu_fallback", "confidence": 1.0}
    assert latest["text"] == "where is my order" and replies, "the two-stage fallback asks what was meant"
    assert latest["intent_ranking"][1]["name"] == normal["name"]


@pytest.mark.integration
def test_auto_replies_off_hand_the_customer_to_the_agents(stack_api: StackApi, admin: Client) -> None:
    change(admin, auto_reply_enabled=False)
    sender = f"auto-{uuid.uuid4().hex[:8]}"
    replies = say(stack_api, sender, "hello, I need help with my order")
    text = " ".join(m.get("text", "") for m in replies)
    assert "queue" in text or "team" in text, replies
    state = tracker(stack_api, sender)
    assert state["paused"] is True
    assert [e["event"] for e in state["events"] if e["event"] in ("user", "bot")] == ["user", "bot"]
    queue = data(stack_api.api.agent.get("/api/admin/queue"))
    assert sender in [c["id"] for c in queue]
    again = say(stack_api, sender, "anyone?")
    assert all("queue" in m.get("text", "") or "team" in m.get("text", "") for m in again), again
    change(admin, auto_reply_enabled=True)
    other = f"auto-{uuid.uuid4().hex[:8]}"
    assert say(stack_api, other, "hello") and tracker(stack_api, other)["paused"] is False


@pytest.mark.integration
async def test_the_web_channel_honours_them_too(stack_api: StackApi, admin: Client) -> None:
    from tests.channels.chat import ChatClient, new_conversation

    await asyncio.to_thread(change, admin, max_response_length=25)
    customer = await ChatClient(
        stack_api.rasa.url, auth={"token": stack_api.api.token_for(JANE_EMAIL)}
    ).connect()
    try:
        short = await bot_messages(customer, new_conversation(), "hello")
        assert all(len(m["content"]) <= 25 for m in short) and any(
            m["content"].endswith("…") for m in short
        ), short
        await asyncio.to_thread(change, admin, max_response_length=4000, auto_reply_enabled=False)
        conversation = new_conversation()
        handed = await bot_messages(customer, conversation, "hello, I need help with my order")
        assert "queue" in handed[0]["content"] or "team" in handed[0]["content"], handed
        queue = await asyncio.to_thread(stack_api.api.agent.get, "/api/admin/queue")
        assert conversation in [c["id"] for c in data(queue)]
    finally:
        await customer.close()


async def bot_messages(customer: Any, conversation: str, text: str) -> List[Dict[str, Any]]:
    await customer.join(conversation)
    await customer.send(conversation, text)

    def from_bot(d: Any) -> bool:
        return d["message"]["conversation_id"] == conversation and d["message"]["sender"]["role"] == "bot"

    await customer.wait_for("message_received", from_bot)
    await asyncio.sleep(1.0)  # the turn's other bubbles
    return [d["message"] for d in customer.received("message_received") if from_bot(d)]
