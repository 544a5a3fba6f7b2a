"""Long-term memory follows one customer across channels and survives a restart of the action
server (real Rasa server with the web and WhatsApp channels, action server, PostgreSQL, Redis):
Lukas Schmidt signs in on the web and asks about his order; the action server restarts and
his cached memories are gone from Redis; he then writes from his phone number on file on
WhatsApp and is greeted by name and offered that order first."""

from __future__ import annotations

import asyncio
import os

import psycopg2
import redis

from tests.channels.chat import connect, new_conversation
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.helpers import replies
from tests.channels.whatsapp.payloads import load, post
from tests.conftest import REDIS_URL
from tests.integration.conftest import Server, Stack, start_action_server

LUKAS, LUKAS_LOGIN, LUKAS_WA_ID = 4, "customer-4", "49305550104"  # +49 30 555 0104 is on file
ORDER, TRACKING = "87654321", "JD014600003828487654"


def memories_of(database_url: str, customer_id: int) -> dict:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT key, value FROM memories WHERE customer_id = %s", (customer_id,))
        return dict(cur.fetchall())


async def ask_on_the_web(url: str) -> str:
    client = await connect(url, LUKAS_LOGIN)
    try:
        conversation = new_conversation()
        await client.join(conversation)
        await client.send(conversation, f"where is my order {ORDER}?")
        return str((await client.bot_reply(conversation, TRACKING, timeout=90))["content"])
    finally:
        await client.close()


def restart_action_server(stack: Stack) -> None:
    """Stops the session's action server and starts a new process on the same port."""
    old = stack.servers[0]
    port = int(old.url.rsplit(":", 1)[1])
    old.stop()
    stack.servers[0] = start_action_server(stack.env, stack.workdir, port)


def test_memory_follows_a_customer_from_the_web_to_whatsapp_across_a_restart(
    wa: Server, graph: FakeGraph, stack: Stack, pg_database: str
) -> None:
    assert TRACKING in asyncio.run(ask_on_the_web(wa.url)), "signed in on the web, he sees the tracking"
    remembered = memories_of(pg_database, LUKAS)
    assert remembered["last_order"]["order_id"] == ORDER and remembered["name"] == "Lukas"

    restart_action_server(stack)
    redis.Redis.from_url(REDIS_URL).delete(f"{stack.env['MEMORY_CACHE_PREFIX']}:{LUKAS}")
    assert stack.env["DATABASE_URL"] == pg_database and os.path.exists(stack.workdir)

    assert post(wa.url, load("text", WA_ID=LUKAS_WA_ID, TEXT="hello")).status_code == 200
    assert "Welcome back, Lukas!" in " ".join(replies(graph, LUKAS_WA_ID, timeout=90))
    assert post(wa.url, load("text", WA_ID=LUKAS_WA_ID, TEXT="where is my order?")).status_code == 200
    offered = " ".join(replies(graph, LUKAS_WA_ID, count=2, timeout=90)[1:])
    assert f"Is it about your last order, {ORDER}?" in offered
    assert post(wa.url, load("text", WA_ID=LUKAS_WA_ID, TEXT=ORDER)).status_code == 200
    assert TRACKING in " ".join(replies(graph, LUKAS_WA_ID, count=3, timeout=90)[2:])
