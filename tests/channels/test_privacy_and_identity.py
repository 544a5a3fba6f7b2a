"""The web channel's trust rules with real socket.io clients against the real Rasa servers:
conversations are private (an id is not a key), a signed-in customer acts on their own orders
without a code and never on anyone else's, and card numbers are masked before anyone or
anything sees them: other sockets, agents, the Redis queue, the tracker store, the logs."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Iterator, List

import psycopg2
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.chat import connect, new_conversation
from tests.conftest import REDIS_URL
from tests.integration.conftest import Server, Stack, new_processing_order

pytestmark = pytest.mark.integration


def stored_text(pg_database: str, conversation: str) -> str:
    with psycopg2.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT data FROM events WHERE sender_id = %s", (conversation,))
        return " ".join(row[0] for row in cur.fetchall())


async def test_an_anonymous_visitor_cannot_join_someone_elses_conversation_by_its_id(web: Server) -> None:
    conversation = new_conversation()
    owner, intruder = await connect(web.url), await connect(web.url)
    try:
        joined = await owner.join(conversation)
        key = joined["access_key"]
        await owner.send(conversation, "hi")
        await owner.bot_reply(conversation, "help")
        for attempt in (
            {"conversation_id": conversation},
            {"conversation_id": conversation, "access_key": "0" * 32},
        ):
            intruder.events.clear()
            await intruder.emit("join_conversation", attempt)
            error = (await intruder.wait_for("error"))[0]
            assert error["code"] == "FORBIDDEN"
            assert not intruder.received("conversation_joined")
        await owner.send(conversation, "is anyone listening?")
        await owner.bot_reply(conversation, "")
        assert not intruder.received("message_received"), "nothing of the conversation reaches the intruder"
        second_tab = await connect(web.url)
        try:
            await second_tab.emit("join_conversation", {"conversation_id": conversation, "access_key": key})
            history = (await second_tab.wait_for("conversation_joined"))[0]["messages"]
            assert [m["content"] for m in history if m["sender"]["role"] == "customer"][:1] == ["hi"]
        finally:
            await second_tab.close()
    finally:
        await owner.close()
        await intruder.close()


async def test_the_widget_keeps_its_key_in_its_session_id_and_a_bare_id_is_refused(web: Server) -> None:
    widget, intruder = await connect(web.url), await connect(web.url)
    try:
        await widget.emit("session_request", {"session_id": None})
        session_id = (await widget.wait_for("session_confirm"))[0]
        conversation, _, key = session_id.partition("~")
        assert len(conversation) == 32 and len(key) == 32
        await widget.emit("user_uttered", {"message": "hi", "session_id": session_id})
        await widget.wait_for("bot_uttered")
        await intruder.emit("session_request", {"session_id": conversation})
        assert (await intruder.wait_for("error"))[0]["code"] == "FORBIDDEN"
        await intruder.emit("session_request", {"session_id": f"{conversation}~{'f' * 32}"})
        assert len(await intruder.wait_for("error", count=2)) == 2
        assert not intruder.received("session_confirm")
    finally:
        await widget.close()
        await intruder.close()


async def test_a_signed_in_customer_acts_on_their_own_order_without_a_code(web: Server, stack: Stack) -> None:
    database = stack.env["DATABASE_URL"]
    mine, theirs = new_processing_order(database, 1), new_processing_order(database, 2)
    conversation = new_conversation()
    jane = await connect(web.url, "customer-1")  # the demo web login linked to Jane Doe
    try:
        await jane.join(conversation)
        await jane.send(conversation, f"please cancel order {mine}")
        await jane.bot_reply(conversation, f"do you want to cancel the whole order {mine}")
        assert not any("code" in m["content"] for m in jane.messages(conversation, "bot"))
        await jane.send(conversation, "yes")
        await jane.bot_reply(conversation, "is cancelled")
        await jane.send(conversation, f"cancel order {theirs} too")
        await jane.bot_reply(conversation, "someone else's")
    finally:
        await jane.close()
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, status FROM orders WHERE id IN (%s, %s)", (mine, theirs))
        assert dict(cur.fetchall()) == {mine: "cancelled", theirs: "processing"}
        cur.execute("SELECT count(*) FROM verification_codes WHERE conversation_id = %s", (conversation,))
        assert cur.fetchone()[0] == 0, "no code was needed by the signed-in customer"


def luhn_complete(body: str) -> str:
    for digit in "0123456789":
        total = 0
        for index, char in enumerate(reversed(body + digit)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return body + digit
    raise AssertionError("unreachable")


@st.composite
def typed_cards(draw) -> tuple:
    digits = luhn_complete(
        "4" + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=14, max_size=14)))
    )
    separators = st.sampled_from([" ", "-", "  ", " - ", ".", "", "/"])
    typed = "".join(d + (draw(separators) if i % 4 == 3 and i < 15 else "") for i, d in enumerate(digits))
    return digits, typed


class RedisRecorder:
    """Every message that crosses the web channel's socket.io queue in Redis."""

    def __init__(self, channel: str) -> None:
        self.pubsub = redis.Redis.from_url(REDIS_URL).pubsub()
        self.pubsub.subscribe(channel)
        self.raw: List[bytes] = []
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        for message in self.pubsub.listen():
            if message["type"] == "message":
                self.raw.append(message["data"])

    def close(self) -> None:
        self.pubsub.close()


@pytest.fixture
def redis_queue(web: Server, redis_prefix: str) -> Iterator[RedisRecorder]:
    recorder = RedisRecorder(f"{redis_prefix}:socketio")
    yield recorder
    recorder.close()


def digits_of(data: object) -> str:
    text = (
        data
        if isinstance(data, str)
        else data.decode("latin-1")
        if isinstance(data, bytes)
        else json.dumps(data)
    )
    return re.sub(r"\D", "", text)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(card=typed_cards())
def test_a_card_number_typed_in_any_form_never_reaches_anyone_or_anything(
    card: tuple, web: Server, stack: Stack, redis_queue: RedisRecorder
) -> None:
    digits, typed = card
    conversation = new_conversation()
    logs_before = {server.log: server.log.stat().st_size for server in stack.servers}
    customer, agent = asyncio.run(_chat_with_a_card(web, conversation, typed))
    seen = [data for _, data in customer.events + agent.events]
    assert any("[REDACTED CARD]" in json.dumps(data) for data in seen), "the masked message was delivered"
    assert all(digits not in digits_of(data) for data in seen), "no socket event carries the card"
    assert all(digits not in digits_of(raw) for raw in redis_queue.raw), "nor the Redis queue"
    assert digits not in digits_of(
        stored_text(stack.env["DATABASE_URL"], conversation)
    ), "nor the tracker store"
    for log, offset in logs_before.items():
        with log.open("rb") as handle:
            handle.seek(offset)
            assert digits not in digits_of(handle.read()), f"nor the log {log.name}"


async def _chat_with_a_card(web: Server, conversation: str, typed: str) -> tuple:
    customer = await connect(web.url)
    agent = await connect(web.url, "alice", role="agent")
    try:
        await customer.join(conversation)
        await agent.join(conversation)
        await customer.send(conversation, f"I was charged twice on my card {typed} yesterday")
        await customer.bot_reply(conversation, "")
        await agent.wait_for("message_received", lambda d: d["message"]["sender"]["role"] == "customer")
        return customer, agent
    finally:
        await customer.close()
        await agent.close()


async def test_an_anonymous_visitor_needs_the_emailed_code_before_cancelling(
    web: Server, stack: Stack
) -> None:
    database = stack.env["DATABASE_URL"]
    order = new_processing_order(database, 4)  # Lukas's
    conversation = new_conversation()
    visitor = await connect(web.url)
    try:
        await visitor.join(conversation)
        await visitor.send(conversation, f"cancel my order {order} please")
        await visitor.bot_reply(conversation, "e-mailed a 6-digit code")
        await visitor.send(conversation, "yes, cancel it")
        await visitor.bot_reply(conversation, "6 digits")
        with psycopg2.connect(database) as conn, conn.cursor() as cur:
            cur.execute("SELECT status FROM orders WHERE id = %s", (order,))
            assert cur.fetchone()[0] == "processing", "nothing changes without the code"
            cur.execute("SELECT secret FROM outbound_emails WHERE to_address = 'lukas.schmidt@example.com' "
                        "AND kind = 'verification_code' ORDER BY id DESC LIMIT 1")  # fmt: skip
            code = cur.fetchone()[0]
        await visitor.send(conversation, code)
        await visitor.bot_reply(conversation, f"do you want to cancel the whole order {order}")
        await visitor.send(conversation, "yes")
        await visitor.bot_reply(conversation, "is cancelled")
    finally:
        await visitor.close()
    with psycopg2.connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT status FROM orders WHERE id = %s", (order,))
        assert cur.fetchone()[0] == "cancelled"
