"""Real python-socketio clients on loopback against the running Rasa server with the web
channel: the conversation events of the seed API and the rasa-webchat widget's events."""

from __future__ import annotations

import pytest
import requests

from tests.channels.chat import ChatClient, connect, new_conversation, token
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration

TRACKING = "1Z999AA10123456784"
JANE_LOGIN = "customer-1"


async def test_a_customer_joins_sends_a_question_and_receives_the_bots_answer_with_ai_metadata(
    web: Server,
) -> None:
    conversation = new_conversation()
    customer = await connect(web.url, JANE_LOGIN)  # signed in: the web login linked to Jane Doe
    try:
        joined = await customer.join(conversation)
        assert joined["messages"] == [] and joined["status"] == "active"
        assert {p["id"] for p in joined["participants"]} == {"bot", JANE_LOGIN}
        await customer.send(conversation, "where is my order 48213")
        reply = await customer.bot_reply(conversation, TRACKING)
        assert "shipped" in reply["content"] and "UPS" in reply["content"]
        assert reply["sender"] == {"id": "bot", "name": "Northwind Assistant", "role": "bot"}
        assert reply["ai_metadata"]["intent"] == "order_status"
        question = customer.messages(conversation, "customer")[0]
        assert question["sender"] == {"id": JANE_LOGIN, "name": "Customer-1", "role": "customer"}
        assert question["ai_metadata"]["intent"] == "order_status"
        assert (
            question["ai_metadata"]["confidence"] > 0.5 and question["ai_metadata"]["sentiment"] == "neutral"
        )
    finally:
        await customer.close()


async def test_typing_indicators_surround_the_bots_reply_and_bot_messages_arrive_in_order(
    web: Server,
) -> None:
    conversation = new_conversation()
    customer = await connect(web.url)
    try:
        await customer.join(conversation)
        await customer.send(conversation, "where is my order")
        await customer.bot_reply(conversation, "order number")
        await customer.wait_for("typing_stop")
        start = len(customer.events)
        await customer.send(conversation, "what are your opening hours?")
        await customer.bot_reply(conversation, "order number", timeout=30)
        await customer.wait_for("typing_stop", count=2)
        turn = [
            (name, data)
            for name, data in customer.events[start:]
            if name in ("typing_start", "typing_stop", "message_received")
        ]
        names = [name for name, _ in turn]
        # The bot types; once the turn is stored, the customer's message and the replies show.
        assert (
            names[0] == "typing_start" and names[1] == "message_received" and names[-1] == "typing_stop"
        ), names
        assert turn[1][1]["message"]["sender"]["role"] == "customer"
        assert all(data["user"]["id"] == "bot" for name, data in turn if name.startswith("typing"))
        bot_texts = [data["message"]["content"] for name, data in turn if name == "message_received"][1:]
        assert len(bot_texts) >= 2, bot_texts
        assert (
            "order number" in bot_texts[-1] and "order number" not in bot_texts[0]
        ), "the answer, then the re-ask"
    finally:
        await customer.close()


async def test_a_customers_typing_is_shown_to_the_others_in_the_room_but_not_echoed(web: Server) -> None:
    conversation = new_conversation()
    customer, agent = await connect(web.url, "omar"), await connect(web.url, "alice", role="agent")
    try:
        await customer.join(conversation)
        await agent.join(conversation)
        await customer.emit("typing_start", {"conversation_id": conversation})
        await customer.emit("typing_stop", {"conversation_id": conversation})
        started = await agent.wait_for("typing_start", lambda d: d["user"]["id"] == "omar")
        await agent.wait_for("typing_stop", lambda d: d["user"]["id"] == "omar")
        assert started[0] == {"conversation_id": conversation, "user": {"id": "omar", "name": "Omar"}}
        assert not customer.received("typing_start")
    finally:
        await customer.close()
        await agent.close()


async def test_buttons_arrive_as_quick_replies_and_a_quick_reply_payload_is_understood(web: Server) -> None:
    conversation = new_conversation()
    customer = await connect(web.url, "mei")
    try:
        await customer.join(conversation)
        await customer.send(conversation, "I want to leave feedback")
        question = await customer.bot_reply(conversation, "rate")
        assert question["message_type"] == "quick_replies"
        titles = [reply["title"] for reply in question["quick_replies"]]
        assert titles == ["1", "2", "3", "4", "5"]
        five = question["quick_replies"][-1]
        assert five == {"content_type": "text", "title": "5", "payload": '/inform{"rating": "5"}'}
        await customer.send(conversation, five["payload"])
        thanks = await customer.bot_reply(conversation, "Thank you for the 5/5")
        assert thanks["ai_metadata"]["intent"] == "inform" and thanks["ai_metadata"]["confidence"] == 1.0
    finally:
        await customer.close()


@pytest.mark.parametrize(
    "auth",
    [
        {"token": token("jane", ttl=-5)},
        {"token": token("jane", secret="another-deployments-secret-0123456789")},
        {"token": "not-a-jwt"},
    ],
    ids=["expired", "wrong-secret", "garbage"],
)
async def test_an_invalid_or_expired_token_is_refused_at_connect(web: Server, auth: dict) -> None:
    client = ChatClient(web.url, auth=auth)
    error = await client.expect_refusal()
    assert not client.sio.connected
    assert (
        error["code"] in ("UNAUTHORIZED", "TOKEN_EXPIRED") and error["message"] == "Invalid or expired token"
    )


async def test_a_signed_in_customers_conversation_is_closed_to_other_customers_but_open_to_agents(
    web: Server,
) -> None:
    conversation = new_conversation()
    owner, stranger, visitor = (
        await connect(web.url, "lukas"),
        await connect(web.url, "mallory"),
        await connect(web.url),
    )
    agent = await connect(web.url, "alice", role="agent")
    try:
        await owner.join(conversation)
        for intruder in (stranger, visitor):
            await intruder.emit("join_conversation", {"conversation_id": conversation})
            error = (await intruder.wait_for("error"))[0]
            assert error["code"] == "FORBIDDEN" and error["event"] == "join_conversation"
        joined = await agent.join(conversation)
        assert {p["id"] for p in joined["participants"]} == {"bot", "lukas", "alice"}
    finally:
        for client in (owner, stranger, visitor, agent):
            await client.close()


async def test_two_tabs_and_an_agent_in_one_room_all_see_every_message(web: Server) -> None:
    conversation = new_conversation()
    tab_one, tab_two = await connect(web.url, "jane"), await connect(web.url, "jane")
    agent = await connect(web.url, "alice", role="agent")
    try:
        await tab_one.join(conversation)
        await tab_two.join(conversation)
        await agent.join(conversation)
        joined = await tab_one.wait_for("user_joined", lambda d: d["user"]["id"] == "alice")
        assert joined[0]["user"] == {"id": "alice", "name": "Alice", "role": "agent"}
        await tab_one.send(conversation, "hi")
        for client in (tab_one, tab_two, agent):
            await client.bot_reply(conversation, "help")
            assert [m["content"] for m in client.messages(conversation, "customer")] == ["hi"]
        await agent.send(conversation, "Hi Jane, Alice from support here.")
        for client in (tab_one, tab_two, agent):
            said = await client.wait_for(
                "message_received", lambda d: d["message"]["sender"]["role"] == "agent"
            )
            assert said[0]["message"]["content"] == "Hi Jane, Alice from support here."
        await tab_two.close()
        await agent.send(conversation, "Are you still there?")
        await tab_one.wait_for(
            "message_received", lambda d: d["message"]["content"] == "Are you still there?"
        )
        assert not agent.received("user_left"), "Jane is still there in her other tab"
        await tab_one.close()
        left = await agent.wait_for("user_left")
        assert left[0] == {"conversation_id": conversation, "user_id": "jane"}
    finally:
        for client in (tab_one, tab_two, agent):
            await client.close()


async def test_an_agent_message_pushed_over_http_reaches_the_customer_in_real_time_and_stays_in_history(
    web: Server,
) -> None:
    conversation = new_conversation()
    customer = await connect(web.url)
    url = f"{web.url}/webhooks/webchat/conversations/{conversation}/messages"
    try:
        key = (await customer.join(conversation))["access_key"]
        body = {"content": "Your refund was approved."}
        assert requests.post(url, json=body, timeout=10).status_code == 401
        as_customer = {"Authorization": f"Bearer {token('jane')}"}
        assert requests.post(url, json=body, headers=as_customer, timeout=10).status_code == 403
        as_agent = {"Authorization": f"Bearer {token('alice', role='agent', name='Alice')}"}
        posted = requests.post(url, json=body, headers=as_agent, timeout=10)
        assert posted.status_code == 201, posted.text
        got = await customer.wait_for(
            "message_received", lambda d: d["message"]["sender"]["role"] == "agent", timeout=5
        )
        assert (
            got[0]["message"]["content"] == "Your refund was approved."
            and got[0]["message"]["id"] == posted.json()["data"]["id"]
        )
        later = await connect(web.url)  # the same visitor in another tab, with the conversation's key
        try:
            await later.emit("join_conversation", {"conversation_id": conversation, "access_key": key})
            history = (await later.wait_for("conversation_joined"))[0]["messages"]
            assert [(m["content"], m["sender"]["id"]) for m in history] == [
                ("Your refund was approved.", "alice")
            ]
        finally:
            await later.close()
    finally:
        await customer.close()


async def test_during_a_handoff_the_bot_stays_quiet_but_customer_messages_reach_the_agent(
    web: Server,
) -> None:
    conversation = new_conversation()
    customer, agent = await connect(web.url, "omar"), await connect(web.url, "alice", role="agent")
    try:
        await customer.join(conversation)
        await agent.join(conversation)
        await customer.send(conversation, "I want to talk to a human")
        await customer.bot_reply(conversation, "connecting you")
        update = await agent.wait_for("conversation_updated")
        assert update[0]["changes"] == {"status": "handed_off"}
        handed_off = len(customer.messages(conversation, "bot"))
        await customer.send(conversation, "hello? is anyone there?")
        seen = await agent.wait_for(
            "message_received", lambda d: d["message"]["content"] == "hello? is anyone there?"
        )
        assert seen[0]["message"]["sender"]["id"] == "omar"
        # Waiting is never silence: one notice of where the customer stands, not an answer.
        await customer.wait_for(
            "message_received", lambda d: d["message"]["sender"]["role"] == "bot", count=handed_off + 1
        )
        bot_count = len(customer.messages(conversation, "bot"))
        await customer.send(conversation, "still there?")
        await agent.wait_for("message_received", lambda d: d["message"]["content"] == "still there?")
        await agent.send(conversation, "Yes, Alice here. How can I help?")
        await customer.wait_for("message_received", lambda d: d["message"]["sender"]["id"] == "alice")
        assert len(customer.messages(conversation, "bot")) == bot_count, "the bot stayed quiet"
        rejoined = await connect(web.url, "omar")
        try:
            assert (await rejoined.join(conversation))["status"] == "handed_off"
        finally:
            await rejoined.close()
    finally:
        await customer.close()
        await agent.close()


async def test_a_message_sent_before_the_hand_over_reply_arrives_still_hears_where_it_stands(
    web: Server,
) -> None:
    conversation = new_conversation()
    customer = await connect(web.url, "omar")
    try:
        await customer.join(conversation)
        await customer.send(conversation, "I want to talk to a human")
        await customer.send(conversation, "hello?? is anyone there")  # typed before the reply came
        await customer.bot_reply(conversation, "connecting you")
        # Waiting is never silence, also for a message that waited for the hand-over's turn.
        bots = await customer.wait_for(
            "message_received", lambda d: d["message"]["sender"]["role"] == "bot", count=2
        )
        assert "connecting you" not in bots[1]["message"]["content"], bots
    finally:
        await customer.close()


async def test_messages_typed_in_a_burst_are_answered_in_the_order_they_were_typed(web: Server) -> None:
    conversation = new_conversation()
    customer = await connect(web.url, "omar")
    typed = [
        "hello there, I have a few questions about my subscription and an order I placed last week",
        "thanks",
        "what are your opening hours",
        "bye",
    ]
    try:
        await customer.join(conversation)
        for text in typed:  # each sent before any reply came
            await customer.send(conversation, text)
        echoes = await customer.wait_for(
            "message_received", lambda d: d["message"]["sender"]["role"] == "customer", count=len(typed)
        )
        assert [echo["message"]["content"] for echo in echoes] == typed
        intents = [echo["message"]["ai_metadata"]["intent"] for echo in echoes]
        assert intents[0] != "goodbye" and intents[-1] == "goodbye", intents
    finally:
        await customer.close()


async def test_the_widget_protocol_gets_bot_uttered_replies_in_its_session_room(web: Server) -> None:
    widget = await connect(web.url)
    try:
        await widget.emit("session_request", {"session_id": None})
        session_id = (await widget.wait_for("session_confirm"))[0]
        assert isinstance(session_id, str) and len(session_id) == 65, "32 hex digits, ~, its access key"
        await widget.emit(
            "user_uttered", {"message": "hi", "session_id": session_id, "customData": {"language": "en"}}
        )
        reply = (await widget.wait_for("bot_uttered"))[0]
        assert "help" in reply["text"] and set(reply) == {"text", "quick_replies"}
        topics = [button["title"] for button in reply["quick_replies"]]
        assert topics == ["Track an order", "Return an item", "Billing question", "Talk to a person"]
        await widget.emit("user_uttered", {"message": "I want to leave feedback", "session_id": session_id})
        buttons = (await widget.wait_for("bot_uttered", lambda d: "rate" in d.get("text", "")))[0]
        assert buttons["quick_replies"][0] == {
            "content_type": "text",
            "title": "1",
            "payload": '/inform{"rating": "1"}',
        }
    finally:
        await widget.close()


async def test_reconnecting_with_the_same_session_id_resumes_the_same_conversation(web: Server) -> None:
    first = await connect(web.url)
    await first.emit("session_request", {"session_id": None})
    session_id = (await first.wait_for("session_confirm"))[0]
    await first.emit("user_uttered", {"message": "where is my order", "session_id": session_id})
    assert "order number" in (await first.wait_for("bot_uttered"))[0]["text"]
    await first.close()
    again = await connect(web.url)
    try:
        await again.emit("session_request", {"session_id": session_id})
        assert (await again.wait_for("session_confirm"))[0] == session_id
        await again.emit("user_uttered", {"message": "48213", "session_id": session_id})
        await again.wait_for("bot_uttered", lambda d: "postcode" in d.get("text", ""))
        await again.emit("user_uttered", {"message": "62701", "session_id": session_id})
        answer = (await again.wait_for("bot_uttered", lambda d: TRACKING in d.get("text", "")))[0]
        assert "shipped" in answer["text"], "the form started before the reconnect was continued"
    finally:
        await again.close()


async def test_a_conversation_held_over_another_channel_is_open_to_agents_only(web: Server) -> None:
    conversation = new_conversation()
    sent = requests.post(
        f"{web.url}/webhooks/rest/webhook", json={"sender": conversation, "message": "hi"}, timeout=30
    )
    assert sent.ok and sent.json()
    visitor, customer = await connect(web.url), await connect(web.url, "mallory")
    agent = await connect(web.url, "alice", role="agent")
    try:
        for intruder in (visitor, customer):
            await intruder.emit("join_conversation", {"conversation_id": conversation})
            assert (await intruder.wait_for("error"))[0]["code"] == "FORBIDDEN"
        await visitor.emit("session_request", {"session_id": conversation})
        assert [e["event"] for e in await visitor.wait_for("error", count=2)][-1] == "session_request"
        history = (await agent.join(conversation))["messages"]
        assert [m["content"] for m in history][:1] == ["hi"] and history[1]["sender"]["role"] == "bot"
    finally:
        for client in (visitor, customer, agent):
            await client.close()


async def test_images_custom_payloads_and_multi_part_texts_reach_both_protocols_in_order(web: Server) -> None:
    """Bot messages sent through Rasa's HTTP API with ``output_channel=webchat``."""
    widget, watcher = await connect(web.url), await connect(web.url, "alice", role="agent")
    try:
        await widget.emit("session_request", {"session_id": None})
        conversation = (await widget.wait_for("session_confirm"))[0].partition("~")[0]
        await watcher.join(conversation)
        events = [
            {"event": "bot", "text": "First part.\n\nSecond part."},
            {"event": "bot", "data": {"image": "https://shop.example/label.png"}},
            {"event": "bot", "data": {"custom": {"kind": "order_card", "order": "48213"}}},
        ]
        url = f"{web.url}/conversations/{conversation}/tracker/events"
        params = {"output_channel": "webchat", "execute_side_effects": "true"}
        assert requests.post(url, json=events, params=params, timeout=30).ok
        uttered = await widget.wait_for("bot_uttered", count=4)
        assert uttered == [
            {"text": "First part."},
            {"text": "Second part."},
            {"attachment": {"type": "image", "payload": {"src": "https://shop.example/label.png"}}},
            {"kind": "order_card", "order": "48213"},
        ]
        received = [d["message"] for d in await watcher.wait_for("message_received", count=4)]
        assert [(m["message_type"], m["content"]) for m in received] == [
            ("text", "First part."), ("text", "Second part."), ("image", ""), ("custom", "")]  # fmt: skip
        assert received[2]["attachments"] == [{"type": "image", "url": "https://shop.example/label.png"}]
        assert received[3]["custom"] == {"kind": "order_card", "order": "48213"}
    finally:
        await widget.close()
        await watcher.close()
