"""Waiting is never silence, on e-mail: a customer whose conversation waits in the queue for an
agent gets a reply in the thread from the channels' one notice module (channels/waiting_notice.py),
not on every e-mail; an agent's reply still goes out, and the customer can go back to the bot."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import List

import pytest
import requests

from assistant.conversations.hours import parse_hours
from assistant.settings import Settings
from tests.channels.chat import token
from tests.channels.email.conftest import SmtpInbox
from tests.channels.email.dovecot import Dovecot
from tests.channels.email.helpers import conversation_of, customer, message_id, query, user_turns
from tests.channels.email.mail import customer_mail, new_id
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration
SUPPORT = "support@northwind.example"
SUBJECT = "Broken kettle"


def body(mail: EmailMessage) -> str:
    return str(mail.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def own_text(mail: EmailMessage) -> str:
    """What a reply says, without the signature and the quoted conversation below it."""
    return body(mail).split("\n-- \n")[0]


def open_now() -> bool:
    return parse_hours(Settings.support_hours, Settings.support_timezone).is_open(datetime.now(timezone.utc))


def staff_away(database_url: str) -> None:
    query(database_url, "UPDATE accounts SET signed_out_at = now() AT TIME ZONE 'utc' + interval '1 second' "
          "WHERE role IN ('admin', 'agent') RETURNING id")  # fmt: skip


def agent_signed_in(database_url: str) -> None:
    query(database_url, "INSERT INTO accounts (id, email, name, role, status, password_hash, email_verified, "
          "email_code_attempts, totp_enabled, preferences, created_at, updated_at, last_seen_at) VALUES (%s, %s, "
          "'Wanda Waiting', 'agent', 'active', 'x', true, 0, false, '{}', now(), now(), now() AT TIME ZONE 'utc') "
          "RETURNING id", uuid.uuid4().hex, f"wanda-{uuid.uuid4().hex[:8]}@test.example")  # fmt: skip


def status(database_url: str, mail_id: str) -> str:
    rows = query(database_url, "SELECT status FROM email_messages WHERE message_id = %s", mail_id)
    return rows[0][0] if rows else ""


class Thread:
    """One customer writing in one thread, each e-mail an answer to the last one received."""

    def __init__(self, dovecot: Dovecot, received: SmtpInbox) -> None:
        self.dovecot, self.received, self.sender = dovecot, received, customer()
        self.ids: List[str] = []

    def write(self, text: str) -> str:
        last = self.received.to(self.sender)[-1:]
        parent = message_id(last[0]) if last else None
        mail_id = new_id()
        references = [*self.ids[:1], *([parent] if parent else [])]
        self.dovecot.append(SUPPORT, customer_mail(self.sender, f"Re: {SUBJECT}" if self.ids else SUBJECT, text,
                                                   message_id=mail_id, in_reply_to=parent,
                                                   references=references or None))  # fmt: skip
        self.ids.append(mail_id)
        return mail_id

    def replies(self, count: int, timeout: float = 90) -> List[EmailMessage]:
        self.received.wait(lambda: len(self.received.to(self.sender)) >= count, timeout=timeout)
        return self.received.to(self.sender)


def test_a_customer_waiting_for_an_agent_hears_where_they_stand_by_email(
    email_server: Server, dovecot: Dovecot, smtp: tuple, pg_database: str
) -> None:
    staff_away(pg_database)
    thread = Thread(dovecot, smtp[0])
    first = thread.write("I want to talk to a human")
    handed = thread.replies(1)[0]
    assert "connecting you" in own_text(handed), own_text(handed)
    conversation = conversation_of(pg_database, first)
    assert query(pg_database, "SELECT status, channel FROM conversations WHERE id = %s", conversation) == [
        ("pending", "email")
    ]

    second = thread.write("hello? anyone there?")
    notice = thread.replies(2)[1]
    text = own_text(notice)
    away = "away right now" if not open_now() else "No one from our support team is signed in right now"
    assert away in text and "continue by e-mail" in text and "go back to the assistant" in text, text
    assert "Reply with one of:\n  - Continue by e-mail\n  - Back to the assistant" in text
    assert notice["In-Reply-To"] == f"<{second}>" and f"<{first}>" in notice["References"]
    assert notice["Subject"] == f"Re: {SUBJECT}" and notice["Auto-Submitted"] == "auto-replied"
    assert "> hello? anyone there?" in body(notice), "the conversation is quoted below, as in any reply"

    thread.write("Continue by e-mail")
    assert "in this thread" in own_text(thread.replies(3)[2]), "on e-mail, the agents answer in the thread"
    third = thread.write("still there?")
    deadline = time.monotonic() + 60
    while status(pg_database, third) != "answered" and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(2)
    assert (
        status(pg_database, third) == "answered" and len(smtp[0].to(thread.sender)) == 3
    ), "not on every e-mail"
    assert len(user_turns(pg_database, conversation)) == 4, "every e-mail is kept in the conversation"

    # Later, with an agent signed in: place in the queue and a rough wait.
    agent_signed_in(pg_database)
    query(
        pg_database, "UPDATE conversations SET last_notice_at = NULL WHERE id = %s RETURNING id", conversation
    )
    thread.write("any news?")
    later = own_text(thread.replies(4)[3])
    if open_now():
        assert "in the queue" in later and "minute" in later, later
    else:
        assert "away right now" in later, later

    sent = requests.post(f"{email_server.url}/webhooks/email/conversations/{conversation}/messages",
                         json={"content": "Hi, Wanda here: a new kettle is on its way."},
                         headers={"Authorization": f"Bearer {token('agent-9', 'agent')}"}, timeout=60)  # fmt: skip
    assert sent.status_code == 201 and sent.json()["data"]["status"] == "sent", sent.text
    agent_mail = thread.replies(5)[4]
    assert own_text(agent_mail).startswith("Hi, Wanda here: a new kettle is on its way.")
    assert agent_mail["Subject"] == f"Re: {SUBJECT}" and f"<{first}>" in agent_mail["References"]

    thread.write("Back to the assistant")
    assert "back with the assistant" in own_text(thread.replies(6)[5])
    thread.write("What are your opening hours?")
    answer = own_text(thread.replies(7)[6])
    assert answer.strip() and not any(
        n in answer for n in ("in the queue", "right now", "connecting you")
    ), answer
    assert len(user_turns(pg_database, conversation)) == 7
    assert not dovecot.unseen(SUPPORT), "every message flagged once its turn and notice are stored"
