"""Long-term memory follows one customer from WhatsApp to e-mail (one real Rasa server with both
channels, the session's action server, PostgreSQL and Redis, dovecot in, aiosmtpd out):
a new customer asks about his order from his phone number on file on WhatsApp. He then
e-mails from his address on file: a From line is only a claim, so nothing personal is shown
until he types the one-time code e-mailed to that address; from then on the thread knows him
and offers the order he asked about on WhatsApp first."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assistant.store.models import Customer
from assistant.store.seed import order_row
from tests.channels.email.conftest import SmtpInbox, email_env, start_email_server
from tests.channels.email.dovecot import Dovecot
from tests.channels.email.helpers import message_id, query
from tests.channels.email.mail import customer_mail, new_id
from tests.channels.whatsapp.conftest import whatsapp_env
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.helpers import replies
from tests.channels.whatsapp.payloads import load, post
from tests.integration.conftest import Server, Stack

pytestmark = pytest.mark.integration
MAILBOX = "trust@northwind.example"
CODE_SUBJECT = "Your Northwind verification code"


@dataclass
class Newcomer:
    id: int
    wa_id: str
    email: str
    order: str
    tracking: str


@pytest.fixture
def newcomer(pg_database: str) -> Newcomer:
    """A customer of its own (no other test writes to his number or mailbox), with a shipped order."""
    n = random.randint(10_000, 99_999)
    who = Newcomer(900_000 + n, f"4930777{n}", f"tomas.{n}@example.com", str(9_000_000 + n), f"JD0146{n}")
    placed = datetime.combine(date.today(), datetime.min.time()) - timedelta(days=2)
    engine = sa.create_engine(pg_database)
    with Session(engine) as s, s.begin():
        s.add(Customer(id=who.id, name="Tomas Weber", email=who.email, phone=f"+{who.wa_id}",
                       address="Torstrasse 1, Berlin", postcode="10119"))  # fmt: skip
        s.flush()
        s.add(order_row(dict(id=int(who.order), customer_id=who.id, items=[8], status="shipped", carrier="DHL",
                              tracking_number=who.tracking, placed_at=placed, shipped_at=placed + timedelta(days=1),
                              estimated_delivery=date.today() + timedelta(days=2))))  # fmt: skip
    engine.dispose()
    return who


@pytest.fixture(scope="module")
def both(stack: Stack, dovecot: Dovecot, smtp: tuple, graph: FakeGraph) -> Iterator[Server]:
    """One Rasa server answering WhatsApp (fake Graph API) and the ``trust`` mailbox."""
    server = start_email_server(stack, {**whatsapp_env(graph.url), **email_env(dovecot, smtp[1], MAILBOX)})
    yield server
    server.stop()


class Thread:
    """A customer's e-mail thread with support: each mail answers the last reply."""

    def __init__(self, dovecot: Dovecot, received: SmtpInbox, sender: str, subject: str) -> None:
        self.dovecot, self.received, self.sender, self.subject = dovecot, received, sender, subject
        self.references: List[str] = []

    def replies(self) -> List[EmailMessage]:
        return [m for m in self.received.to(self.sender) if m["Subject"] != CODE_SUBJECT]

    def write(self, text: str) -> str:
        """Sends ``text`` in the thread; the assistant's reply, as plain text."""
        before, mail_id = len(self.replies()), new_id()
        subject = f"Re: {self.subject}" if self.references else self.subject
        last = self.references[-1] if self.references else None
        self.dovecot.append(MAILBOX, customer_mail(self.sender, subject, text, message_id=mail_id, to=MAILBOX,
                                                   in_reply_to=last, references=list(self.references)))  # fmt: skip
        self.received.wait(lambda: len(self.replies()) > before, timeout=120)
        reply = self.replies()[before]
        self.references += [mail_id, message_id(reply)]
        return str(reply.get_body(("plain",)).get_content()).split("\n>", 1)[0]


def code_mailed(received: SmtpInbox, address: str) -> str:
    """The code in the (only) verification e-mail sent to ``address``."""
    received.wait(lambda: len(codes(received, address)) == 1, timeout=60)
    found = re.search(r"\b(\d{6})\b", codes(received, address)[0].get_body(("plain",)).get_content())
    assert found, "the code e-mail carries a 6-digit code"
    return found.group(1)


def codes(received: SmtpInbox, address: str) -> List[EmailMessage]:
    return [m for m in received.to(address) if m["Subject"] == CODE_SUBJECT]


def test_memory_follows_a_customer_from_whatsapp_to_email_once_he_proves_the_address(
    both: Server, graph: FakeGraph, dovecot: Dovecot, smtp: tuple, pg_database: str, newcomer: Newcomer
) -> None:
    who = newcomer
    assert (
        post(both.url, load("text", WA_ID=who.wa_id, TEXT=f"where is order {who.order}")).status_code == 200
    )
    assert who.tracking in " ".join(replies(graph, who.wa_id, timeout=120)), "his number on file proves him"
    [(last_order,)] = query(pg_database, "SELECT value FROM memories WHERE customer_id = %s AND key = 'last_order'",
                            who.id)  # fmt: skip
    assert last_order["order_id"] == who.order

    received: SmtpInbox = smtp[0]
    thread = Thread(dovecot, received, who.email, "My order")
    claimed = thread.write("Hi, where is my order?")
    assert who.order not in claimed and "Tomas" not in claimed, "a From line alone shows nothing personal"
    assert "What's your order number?" in claimed

    asked = thread.write("I'd like to change my phone number please")
    assert "I've just e-mailed a 6-digit code to the e-mail address on your account" in asked
    verified = thread.write(code_mailed(received, who.email))
    assert "you're verified for this conversation" in verified
    assert "No problem, I've stopped that" in thread.write("never mind, leave it as it is")

    offered = thread.write("where is my order?")
    assert f"Is it about your last order, {who.order}?" in offered
    assert who.tracking in thread.write(f"yes, {who.order}")
    [(verified_by,)] = query(pg_database, "SELECT verified_by FROM channel_identities WHERE channel = 'email' "
                             "AND external_id = %s", who.email)  # fmt: skip
    assert verified_by == "code", "the code links his address to him"
