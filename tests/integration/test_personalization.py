"""Personalization end to end over the REST webhook (real Rasa server, action server,
PostgreSQL and Redis): a returning customer who proves who they are is greeted by name, offered
their last order first and, on an enterprise plan, gets priority handling; a frustrated
customer is offered a person straight away. Nothing personal for a conversation that proved
nothing."""

from __future__ import annotations

import psycopg2
import pytest

from assistant.memory import Memories
from assistant.settings import Settings
from assistant.store import build_store
from tests.integration.conftest import Server, new_sender, say, texts
from tests.integration.test_trust import latest_code

pytestmark = pytest.mark.integration
MEI, MEI_EMAIL, MEI_ORDER = 3, "mei.chen@example.com", "40004"


def remember_for_mei(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """An earlier session left Mei's last order in memory."""
    store = build_store(Settings(var_dir=tmp_path_factory.mktemp("mem"), database_url=pg_database))
    Memories(store).remember(MEI, "last_order", {"order_id": MEI_ORDER, "status": "cancelled"})
    store.engine.dispose()


def verify_by_code(rasa: Server, pg_database: str, sender: str) -> None:
    say(rasa, sender, "I want to change my phone number")
    assert "6-digit code" in texts(say(rasa, sender, MEI_EMAIL))
    assert "you're verified" in texts(say(rasa, sender, latest_code(pg_database, MEI_EMAIL)))
    say(rasa, sender, "stop")


def priority_of(pg_database: str, sender: str) -> str:
    with psycopg2.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT priority FROM conversations WHERE id = %s", (sender,))
        return cur.fetchone()[0]


def test_a_returning_verified_customer_gets_a_personal_conversation(
    rasa: Server, pg_database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    remember_for_mei(pg_database, tmp_path_factory)
    sender = new_sender()
    assert "Welcome back" not in texts(say(rasa, sender, "hello")), "no one is known before proof"
    verify_by_code(rasa, pg_database, sender)
    assert "Welcome back, Mei!" in texts(say(rasa, sender, "hi there"))
    asked = say(rasa, sender, "where is my order?")
    assert f"Is it about your last order, {MEI_ORDER}?" in texts(asked)
    payload = f'/inform{{"order_id":"{MEI_ORDER}"}}'  # the order number, whatever the model reads
    assert any(b["payload"] == payload for m in asked for b in m.get("buttons", []))
    assert f"Order {MEI_ORDER}" in texts(say(rasa, sender, MEI_ORDER))
    handed = texts(say(rasa, sender, "I want to talk to a human"))
    assert "connecting you" in handed and priority_of(pg_database, sender) == "high"


def test_an_anonymous_customer_gets_the_plain_replies(rasa: Server) -> None:
    sender = new_sender()
    assert "Welcome back" not in texts(say(rasa, sender, "hi"))
    assert "What's your order number?" in texts(say(rasa, sender, "where is my order?"))


def test_a_frustrated_customer_is_offered_a_person_at_once(rasa: Server, pg_database: str) -> None:
    sender = new_sender()
    reply = texts(
        say(
            rasa,
            sender,
            "what shipping options do you have? honestly this whole thing is a terrible, awful mess",
        )
    )
    assert "frustrating" in reply and "connect you with a member of our support team" in reply
    assert "connecting you" in texts(say(rasa, sender, "yes please"))
    assert priority_of(pg_database, sender) == "high"
