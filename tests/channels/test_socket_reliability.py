"""The web channel's failure contract with real socket.io clients: every message is
acknowledged (ok, or the error with the message to send again), and a message sent again with
its ``message_id`` is answered from what was stored, to its sender only, with one effect."""

from __future__ import annotations

import json

import psycopg2
import pytest

from tests.channels.chat import connect, new_conversation
from tests.integration.conftest import Server, Stack

pytestmark = pytest.mark.integration


def stored_user_messages(database: str, conversation: str) -> list:
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user'", (conversation,))
        return [json.loads(data) for (data,) in cur.fetchall()]


async def test_a_message_is_acknowledged_and_a_retried_message_id_is_answered_once(
    web: Server, stack: Stack
) -> None:
    conversation = new_conversation()
    customer, agent = await connect(web.url), await connect(web.url, "alice", role="agent")
    try:
        await customer.join(conversation)
        await agent.join(conversation)
        body = {"conversation_id": conversation, "content": "your service is terrible", "message_id": "m-1"}
        assert await customer.call("message_send", body) == {"ok": True}
        first = await customer.bot_reply(conversation, "complaint")
        assert await customer.call("message_send", body) == {"ok": True}
        again = await customer.wait_for(
            "message_received", lambda d: "complaint" in d["message"]["content"], count=2
        )
        assert again[1]["message"]["content"] == first["content"], "the stored reply, sent again"
        await agent.send(conversation, "Alice here.")
        await customer.wait_for("message_received", lambda d: d["message"]["content"] == "Alice here.")
        seen_by_agent = [m for m in agent.messages(conversation) if "complaint" in m["content"]]
        assert len(seen_by_agent) == 1, "others in the room do not get the replay"
    finally:
        await customer.close()
        await agent.close()
    stored = stored_user_messages(stack.env["DATABASE_URL"], conversation)
    assert [m["message_id"] for m in stored] == ["m-1"], "processed and stored once"
    with psycopg2.connect(stack.env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickets WHERE conversation_id = %s", (conversation,))
        assert cur.fetchone()[0] == 1, "one complaint ticket"


async def test_a_refused_message_is_acknowledged_with_the_error_and_the_text_to_send_again(
    web: Server,
) -> None:
    conversation = new_conversation()
    customer = await connect(web.url)
    try:
        await customer.join(conversation)
        ack = await customer.call("message_send", {"conversation_id": conversation, "content": "x" * 5000,
                                                   "message_id": "too-long"})  # fmt: skip
        assert ack["ok"] is False and ack["error"]["code"] == "MESSAGE_TOO_LARGE"
        assert ack["error"]["message"]["message_id"] == "too-long" and ack["error"]["retryable"] is False
        error = (await customer.wait_for("error"))[0]
        assert error["code"] == "MESSAGE_TOO_LARGE" and error["event"] == "message_send"
        bad = await customer.call(
            "message_send", {"conversation_id": conversation, "content": "hi", "message_id": "a b"}
        )
        assert bad["ok"] is False and bad["error"]["details"]["field"] == "message_id"
    finally:
        await customer.close()
