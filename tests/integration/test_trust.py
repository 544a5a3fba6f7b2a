"""Who the customer is, over the real REST webhook (real Rasa server, action server, PostgreSQL
and Redis): an anonymous conversation changes nothing without the one-time code e-mailed to the
address on file; with it, it can; five wrong codes lock the flow."""

from __future__ import annotations

import json

import psycopg2
import pytest

from tests.integration.conftest import Server, new_sender, say, texts

pytestmark = pytest.mark.integration


def query(pg_database: str, sql: str, *args: object) -> list:
    with psycopg2.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def latest_code(pg_database: str, address: str) -> str:
    rows = query(pg_database, "SELECT secret FROM outbound_emails WHERE to_address = %s AND kind = "
                 "'verification_code' ORDER BY id DESC LIMIT 1", address)  # fmt: skip
    assert rows and rows[0][0], f"no code was e-mailed to {address}"
    return rows[0][0]


def codes_sent(pg_database: str, address: str) -> int:
    return query(pg_database, "SELECT count(*) FROM outbound_emails WHERE to_address = %s AND kind = "
                 "'verification_code'", address)[0][0]  # fmt: skip


def test_typing_someones_email_and_yes_no_longer_deletes_their_account(
    rasa: Server, pg_database: str
) -> None:
    sender = new_sender()
    say(rasa, sender, "please delete my account")
    reply = texts(say(rasa, sender, "mei.chen@example.com"))
    assert "If mei.chen@example.com has an account with us, I've just e-mailed it a 6-digit code" in reply
    say(rasa, sender, "yes")
    say(rasa, sender, "yes, delete my account")
    assert query(pg_database, "SELECT erasure_scheduled_for FROM customers WHERE id = 3") == [(None,)]


def test_the_code_from_the_email_lets_an_anonymous_customer_cancel_their_order(
    rasa: Server, pg_database: str
) -> None:
    sender = new_sender()
    reply = texts(say(rasa, sender, "I want to cancel order 10001"))
    assert "e-mailed a 6-digit code to the e-mail address on file for that order" in reply
    assert query(pg_database, "SELECT status FROM orders WHERE id = 10001") == [("processing",)]
    code = latest_code(pg_database, "jane.doe@example.com")
    reply = texts(say(rasa, sender, code))
    assert "you're verified" in reply and "cancel the whole order 10001" in reply
    assert "cancelled" in texts(say(rasa, sender, "yes"))
    assert query(pg_database, "SELECT status FROM orders WHERE id = 10001") == [("cancelled",)]
    stored = json.dumps(query(pg_database, "SELECT data FROM events WHERE sender_id = %s", sender))
    assert code not in stored, "the code never reaches the tracker store"


def test_five_wrong_codes_lock_the_flow(rasa: Server, pg_database: str) -> None:
    sender = new_sender()
    say(rasa, sender, "change my phone number")
    assert "e-mailed it a 6-digit code" in texts(say(rasa, sender, "omar.haddad@example.com"))
    code = latest_code(pg_database, "omar.haddad@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    replies = [texts(say(rasa, sender, wrong)) for _ in range(5)]
    assert "4 tries left" in replies[0] and "can't accept more codes" in replies[-1]
    after = texts(say(rasa, sender, code))
    assert "verified" not in after
    assert query(pg_database, "SELECT phone FROM customers WHERE id = 2") == [("+1 555 0102",)]


def test_an_order_s_details_need_its_email_or_postcode(rasa: Server) -> None:
    sender = new_sender()
    asked = texts(say(rasa, sender, "where is order 87654321"))
    assert "JD014600003828487654" not in asked
    wrong = texts(say(rasa, sender, "62701"))
    assert "doesn't match" in wrong and "JD014600003828487654" not in wrong
    assert "JD014600003828487654" in texts(say(rasa, sender, "10117"))


def test_a_dont_at_the_confirmation_cancels_nothing_even_when_read_as_cancel(
    rasa: Server, pg_database: str
) -> None:
    sender = new_sender()
    say(rasa, sender, "I'd like to cancel my subscription")
    say(rasa, sender, "mei.chen@example.com")
    reply = texts(say(rasa, sender, latest_code(pg_database, "mei.chen@example.com")))
    assert "you're verified" in reply and "Do you want to cancel?" in reply
    reply = texts(say(rasa, sender, "I do not want to cancel my plan anymore"))
    assert "your subscription stays as it is" in reply and "is cancelled" not in reply, reply
    assert query(pg_database, "SELECT status FROM subscriptions WHERE customer_id = 3") == [("active",)]


def test_a_dont_before_the_confirmation_stops_the_cancellation(rasa: Server) -> None:
    sender = new_sender()
    assert "e-mail address on your account" in texts(say(rasa, sender, "cancel my subscription please"))
    reply = texts(say(rasa, sender, "actually dont cancel my subscription"))
    assert "I've stopped that" in reply and "e-mail address" not in reply, reply
