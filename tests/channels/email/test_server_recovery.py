"""The listener waits with IDLE (polling every ten minutes would be far too slow for this test),
and a Rasa server killed (SIGKILL) in the middle of a batch loses nothing and answers nothing
twice once a new one has started; nor does a listener stopped through the API in the middle of a
batch and started again."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.channels.email.conftest import SmtpInbox, email_env, start_email_server
from tests.channels.email.dovecot import Dovecot
from tests.channels.email.helpers import conversation_of, customer, post, query, user_turns
from tests.channels.email.mail import customer_mail, new_id
from tests.integration.conftest import Server, Stack

pytestmark = pytest.mark.integration
MAILBOX = "crash@northwind.example"
SUPPORT = "support@northwind.example"
BATCH, STOP_BATCH = 30, 20


def test_idle_picks_up_mail_and_a_killed_server_loses_and_duplicates_nothing(
    stack: Stack, dovecot: Dovecot, smtp: tuple, pg_database: str
) -> None:
    received: SmtpInbox = smtp[0]
    # The dead server's Redis tickets block their conversations for TICKET_LOCK_LIFETIME (60 s):
    # the retries of a turn must outlast that (4 + 8 + 16 + 32 s), as the defaults do.
    env = email_env(dovecot, smtp[1], MAILBOX, EMAIL_POLL_SECONDS="600", EMAIL_LEASE_SECONDS="12",
                    EMAIL_TURN_RETRY_SECONDS="4")  # fmt: skip
    server = start_email_server(stack, env)
    time.sleep(3)  # the listener has looked at the empty mailbox and waits in IDLE
    sender, started = customer(), time.monotonic()
    dovecot.append(MAILBOX, customer_mail(sender, "Shipping", "Do you ship to Norway?", to=MAILBOX))
    received.wait(lambda: len(received.to(sender)) == 1, timeout=60)
    assert time.monotonic() - started < 60, "IDLE, not the ten-minute poll, picked it up"

    senders, ids = [customer() for _ in range(BATCH)], [new_id() for _ in range(BATCH)]
    dovecot.append(MAILBOX, *[customer_mail(s, f"Question {n}", "What are your opening hours?", message_id=i,
                                            to=MAILBOX) for n, (s, i) in enumerate(zip(senders, ids, strict=True))])  # fmt: skip
    answered = lambda: sum(1 for s in senders if received.to(s))  # noqa: E731
    received.wait(lambda: answered() >= 3, timeout=180)
    server.process.kill()
    server.process.wait()
    before = answered()
    assert before < BATCH, "killed in the middle of the batch"

    restarted = start_email_server(stack, env)
    try:
        received.wait(lambda: answered() == BATCH, timeout=300)
        time.sleep(3)
        assert [len(received.to(s)) for s in senders] == [1] * BATCH, "every e-mail answered exactly once"
        for mail_id in ids:
            assert len(user_turns(pg_database, conversation_of(pg_database, mail_id))) == 1
        deadline = time.monotonic() + 60
        while dovecot.unseen(MAILBOX) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not dovecot.unseen(MAILBOX), f"left unseen: {unseen_states(dovecot, pg_database)}"
    finally:
        restarted.stop()


def test_a_listener_stopped_mid_batch_and_started_again_loses_and_duplicates_nothing(
    email_server: Server, dovecot: Dovecot, smtp: tuple, pg_database: str
) -> None:
    received: SmtpInbox = smtp[0]
    senders, ids = [customer() for _ in range(STOP_BATCH)], [new_id() for _ in range(STOP_BATCH)]
    dovecot.append(SUPPORT, *[customer_mail(s, f"Stop {n}", "What are your opening hours?", message_id=i)
                              for n, (s, i) in enumerate(zip(senders, ids, strict=True))])  # fmt: skip
    answered = lambda: sum(1 for s in senders if received.to(s))  # noqa: E731
    received.wait(lambda: answered() >= 2, timeout=180)
    before = answered()
    stopped = post(email_server.url, "/listener/stop")
    assert stopped.status_code == 200 and stopped.json()["message"] == "Email listener has been stopped"
    assert before < STOP_BATCH, "stopped in the middle of the batch"
    assert dovecot.unseen(SUPPORT), "what was not finished stays unseen while the listener is stopped"
    time.sleep(2)
    started = post(email_server.url, "/listener/start")
    assert started.status_code == 200 and started.json()["message"] == "Email listener has been started"

    received.wait(lambda: answered() == STOP_BATCH, timeout=300)
    time.sleep(3)
    assert [len(received.to(s)) for s in senders] == [1] * STOP_BATCH, "every e-mail answered exactly once"
    for mail_id in ids:
        assert len(user_turns(pg_database, conversation_of(pg_database, mail_id))) == 1
    deadline = time.monotonic() + 60
    while dovecot.unseen(SUPPORT) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not dovecot.unseen(SUPPORT), f"left unseen: {unseen_states(dovecot, pg_database, SUPPORT)}"


def unseen_states(dovecot: Dovecot, pg_database: str, mailbox: str = MAILBOX) -> list:
    """What the database says about the messages still unseen (for a failure's message)."""
    client = dovecot.client(mailbox)
    try:
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch(client.search(["UNSEEN"]), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    finally:
        client.logout()
    ids = [
        bytes(v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]).decode().split("<")[-1].split(">")[0]
        for v in fetched.values()
    ]
    return [query(pg_database, "SELECT status, attempts, claimed_until, next_attempt_at, error FROM email_messages "
                  "WHERE message_id = %s", i) for i in ids]  # fmt: skip


def test_a_message_another_process_finishes_is_flagged_soon_without_waiting_for_the_poll(
    stack: Stack, dovecot: Dovecot, smtp: tuple, pg_database: str
) -> None:
    """Another process held the message (its lease) and then answered it: this listener, whose
    look left the message unfinished, looks again within the sweep interval, not the next poll
    (ten minutes here), and flags it."""
    mailbox, mail_id, sender = "idle@northwind.example", new_id(), customer()
    query(pg_database, "INSERT INTO email_messages (message_id, conversation_id, direction, address, subject, status, "
          "attempts, claimed_until, created_at, updated_at) VALUES (%s, %s, 'in', %s, 'Held', 'received', 0, "
          "now() AT TIME ZONE 'utc' + interval '10 minutes', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc') "
          "RETURNING id", mail_id, f"email:{uuid.uuid4().hex}", sender)  # fmt: skip
    env = email_env(dovecot, smtp[1], mailbox, EMAIL_POLL_SECONDS="600", EMAIL_SWEEP_SECONDS="2")
    server = start_email_server(stack, env)
    try:
        dovecot.append(
            mailbox, customer_mail(sender, "Held", "Do you ship to Norway?", message_id=mail_id, to=mailbox)
        )
        time.sleep(4)  # looked at: stored already, held elsewhere, so left unseen
        assert dovecot.unseen(mailbox), "a message held by another process is not flagged"
        query(pg_database, "UPDATE email_messages SET status = 'answered', claimed_until = NULL "
              "WHERE message_id = %s RETURNING id", mail_id)  # fmt: skip
        deadline = time.monotonic() + 30
        while dovecot.unseen(mailbox) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not dovecot.unseen(mailbox), "flagged once the other process had answered it"
        assert not smtp[0].to(sender), "answered by the other process, not again here"
    finally:
        server.stop()
