"""Reading what the e-mail channel stored and sent, for the tests."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any, List

import psycopg2
import requests

from tests.channels.chat import token

API = "/api/channels/email"


def query(database_url: str, sql: str, *args: Any) -> List[tuple]:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def customer() -> str:
    return f"c{uuid.uuid4().hex[:12]}@customer.example"


def message_id(mail: EmailMessage) -> str:
    return str(mail["Message-ID"]).strip().strip("<>")


def post(url: str, path: str, body: Any = None, role: str = "admin") -> requests.Response:
    headers = {"Authorization": f"Bearer {token('staff-1', role)}"} if role else {}
    return requests.post(f"{url}{API}{path}", json=body, headers=headers, timeout=60)


def conversation_of(database_url: str, mail_id: str) -> str:
    rows = query(database_url, "SELECT conversation_id FROM email_messages WHERE message_id = %s", mail_id)
    assert rows, f"{mail_id} was not stored"
    return rows[0][0]


def user_turns(database_url: str, conversation_id: str) -> List[str]:
    rows = query(database_url, "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id",
                 conversation_id)  # fmt: skip
    return [row[0] for row in rows]
