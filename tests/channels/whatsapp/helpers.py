"""Reading what the WhatsApp channel did: the Graph API's messages to a number, the channel's
rows, statuses and the conversation's stored events and slots."""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, List, Optional

import psycopg2
import requests

from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.integration.conftest import Server

ORDER_QUESTION = "What's your order number?"


def shown(body: Dict[str, Any]) -> str:
    """What the customer reads in a message we sent."""
    kind = body.get("type")
    if kind == "text":
        return body["text"]["body"]
    if kind == "interactive":
        return body["interactive"]["body"]["text"]
    if kind == "template":
        return f"[template {body['template']['name']}]"
    return f"[{kind}]"


def replies(graph: FakeGraph, wa_id: str, count: int = 1, timeout: float = 60) -> List[str]:
    return [shown(body) for body in graph.wait_sent(wa_id, count, timeout)]


def query(database_url: str, sql: str, *args: Any) -> List[Dict[str, Any]]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        names = [column.name for column in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def rows(database_url: str, conversation_id: str) -> List[Dict[str, Any]]:
    """The conversation's ``whatsapp_messages``, oldest first."""
    return query(database_url, "SELECT * FROM whatsapp_messages WHERE conversation_id = %s ORDER BY id",
                 conversation_id)  # fmt: skip


def statuses(database_url: str, wamid: str) -> List[str]:
    return [r["status"] for r in query(database_url, "SELECT status FROM whatsapp_statuses WHERE wamid = %s "
                                       "ORDER BY id", wamid)]  # fmt: skip


def user_events(database_url: str, conversation_id: str) -> List[Dict[str, Any]]:
    found = query(database_url, "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' "
                  "ORDER BY id", conversation_id)  # fmt: skip
    return [json.loads(r["data"]) for r in found]


def wait_until(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def inbound(database_url: str, conversation_id: str, status: Optional[str] = None) -> Dict[str, Any]:
    """The conversation's first customer message, once it has ``status`` (any when None)."""

    def found() -> Optional[Dict[str, Any]]:
        mine = [r for r in rows(database_url, conversation_id) if r["direction"] == "in"]
        return mine[0] if mine and (status is None or mine[0]["status"] == status) else None

    return wait_until(found, what=f"a customer message {status or ''} in {conversation_id}")


def slots(server: Server, conversation_id: str) -> Dict[str, Any]:
    tracker = requests.get(f"{server.url}/conversations/{conversation_id}/tracker", timeout=30).json()
    return tracker["slots"]
