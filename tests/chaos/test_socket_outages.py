"""Redis and PostgreSQL break while customers talk over the web socket (the conversation
protocol, with message ids and acknowledgements). Every message is acknowledged: ok once its
turn is stored (and its replies reach the sender, even with the Redis queue down), or an error
the client can act on (``SERVICE_UNAVAILABLE``, ``retry_after``, the message to send again);
sent again with the same id, it is processed once. After recovery every conversation goes on."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

import psycopg2
import pytest

from tests.channels.chat import ChatClient, connect
from tests.chaos.client import FOLLOW_UP, SCRIPT
from tests.chaos.conftest import ChaosStack

pytestmark = pytest.mark.integration
CUSTOMERS = 4


@dataclass
class SocketMessage:
    message_id: str
    text: str
    expect: str
    acks: List[Dict[str, Any]] = field(default_factory=list)


async def send_until_acknowledged(client: ChatClient, conversation: str, message: SocketMessage) -> None:
    body = {"conversation_id": conversation, "content": message.text, "message_id": message.message_id}
    for _ in range(20):
        ack = await client.call("message_send", body, timeout=30)
        message.acks.append(ack)
        if ack["ok"]:
            return
        error = ack["error"]
        assert error["code"] == "SERVICE_UNAVAILABLE" and error["retryable"], error
        assert error["message"] == {"message_id": message.message_id, "text": message.text}
        await asyncio.sleep(error["details"]["retry_after"])
    raise AssertionError(f"{message.text!r} never got through: {message.acks}")


async def converse(
    url: str, conversation: str, joined: threading.Semaphore, recovered: threading.Event
) -> List[SocketMessage]:
    """The script, then (once the service is back) the follow-up that needs the stored state."""
    client = await connect(url)
    sent: List[SocketMessage] = []
    try:
        await client.join(conversation)
        joined.release()
        for index, (text, expect) in enumerate([*SCRIPT, FOLLOW_UP]):
            if index == len(SCRIPT):
                while not recovered.is_set():
                    await asyncio.sleep(0.2)
            message = SocketMessage(f"{conversation}-{index}", text, expect)
            sent.append(message)
            await send_until_acknowledged(client, conversation, message)
            await client.bot_reply(conversation, expect, timeout=30)
            await asyncio.sleep(0.3)
    finally:
        await client.close()
    return sent


def stored_message_ids(chaos: ChaosStack, conversations: List[str]) -> Counter:
    with psycopg2.connect(chaos.database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT data FROM events WHERE type_name = 'user' AND sender_id = ANY(%s)", (conversations,)
        )
        return Counter(json.loads(data)["message_id"] for (data,) in cur.fetchall())


def run_with_outage(
    chaos: ChaosStack, conversations: List[str], break_it: Callable[[], None], repair: Callable[[], None]
) -> List[SocketMessage]:
    broken, recovered = threading.Event(), threading.Event()
    joined = threading.Semaphore(0)  # the outage begins once every client is in its conversation

    def outage() -> None:
        for _ in range(len(conversations) + 1):
            assert joined.acquire(timeout=60), "every client joined its conversation"
        time.sleep(0.8)
        break_it()
        broken.set()
        time.sleep(3)
        repair()
        recovered.set()

    async def scenario() -> List[SocketMessage]:
        probing = probe(chaos.rasa.url, joined, broken, recovered)
        talks = (converse(chaos.rasa.url, c, joined, recovered) for c in conversations)
        results = await asyncio.gather(asyncio.to_thread(outage), probing, *talks)
        return [message for result in results[2:] for message in result] + [results[1]]

    return asyncio.run(scenario())


async def probe(
    url: str, joined: threading.Semaphore, broken: threading.Event, recovered: threading.Event
) -> SocketMessage:
    """One message sent while the service is down: it must be refused, visibly, and go through
    once the service is back (so the outage is known to have touched the traffic)."""
    conversation = f"ws-probe-{uuid.uuid4().hex[:8]}"
    client = await connect(url)
    try:
        await client.join(conversation)
        joined.release()
        while not broken.is_set():
            await asyncio.sleep(0.05)
        message = SocketMessage(f"{conversation}-0", "hi", "help")
        body = {"conversation_id": conversation, "content": message.text, "message_id": message.message_id}
        message.acks.append(await client.call("message_send", body, timeout=30))
        while not recovered.is_set():
            await asyncio.sleep(0.2)
        await send_until_acknowledged(client, conversation, message)
        return message
    finally:
        await client.close()


def check(chaos: ChaosStack, conversations: List[str], sent: List[SocketMessage]) -> None:
    probed = sent[-1]
    assert probed.acks[0]["ok"] is False, "a message sent during the outage was refused visibly"
    assert probed.acks[0]["error"]["code"] == "SERVICE_UNAVAILABLE"
    sent = sent[:-1]
    assert all(message.acks[-1]["ok"] for message in sent), "every message got through in the end"
    assert stored_message_ids(chaos, conversations) == Counter(
        m.message_id for m in sent
    ), "stored exactly once"
    with psycopg2.connect(chaos.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT conversation_id FROM tickets WHERE conversation_id = ANY(%s)", (conversations,))
        assert Counter(c for (c,) in cur.fetchall()) == Counter(conversations), "one complaint ticket each"


@pytest.mark.parametrize("service", ["redis", "postgres"])
def test_an_outage_under_socket_load_is_acknowledged_and_nothing_is_lost_or_doubled(
    chaos: ChaosStack, service: str
) -> None:
    server = chaos.redis if service == "redis" else chaos.postgres
    conversations = [f"ws-{service}-{uuid.uuid4().hex[:8]}-{i}" for i in range(CUSTOMERS)]
    sent = run_with_outage(
        chaos, conversations, server.kill if service == "redis" else server.stop, server.start
    )
    check(chaos, conversations, sent)
