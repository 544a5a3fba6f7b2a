"""The personal slots pick the reply a customer notices: a returning customer's greeting in
their language or tone, priority handling for premium tiers, their last order first."""

from __future__ import annotations

from actions.session import ActionSessionStart
from assistant.identity.permissions import IdentityState, Level
from assistant.memory import Memories
from assistant.personalization.profile import detect_language, detect_style, update_profile
from assistant.personalization.replies import personal_slots, styled
from assistant.store import Store
from tests.actions.helpers import DOMAIN, run_action, slot_values
from tests.actions.test_verification import signed
from tests.conftest import make_tracker


def test_a_first_time_customer_gets_no_returning_greeting(sqlite_store: Store) -> None:
    slots = personal_slots(Memories(sqlite_store), 4)
    assert slots["persona"] is None and slots["customer_name"] == "Lukas"
    assert slots["priority_support"] is False and slots["customer_tier"] == "standard"
    assert slots["has_last_order"] is False


def test_language_and_tone_choose_the_greeting(sqlite_store: Store) -> None:
    memories = Memories(sqlite_store)
    memories.remember(2, "language", "es")
    assert personal_slots(memories, 2)["persona"] == "returning_es"
    update_profile(sqlite_store, 4, style="formal", new_session=True)
    assert personal_slots(memories, 4)["persona"] == "returning_formal"
    update_profile(sqlite_store, 4, style="casual")
    assert personal_slots(memories, 4)["persona"] == "returning_casual"
    personas = {c["value"] for v in DOMAIN["responses"]["utter_greet"] for c in v.get("condition", [])}
    assert {
        "returning",
        "returning_formal",
        "returning_casual",
        "returning_es",
        "returning_de",
        "returning_fr",
    } == personas


def test_a_language_the_channel_tells_is_remembered_for_a_verified_customer(sqlite_store: Store) -> None:
    metadata = {**signed(IdentityState(3, Level.VERIFIED), "conv-lang"), "language": "fr"}
    tracker = make_tracker(slots={"session_started_metadata": metadata}, sender_id="conv-lang")
    slots = slot_values(run_action(ActionSessionStart(), tracker)[1])
    assert slots["language"] == "fr" and "persona" not in slots, "a first visit is no return"
    assert Memories(sqlite_store).recall(3)["language"].value == "fr"
    again = make_tracker(slots={"session_started_metadata": metadata}, sender_id="conv-lang")
    slots = slot_values(run_action(ActionSessionStart(), again)[1])
    assert slots["persona"] == "returning_fr" and slots["customer_tier"] == "enterprise"


def test_style_and_language_are_read_from_the_messages() -> None:
    assert detect_style(["Could you please check my order?", "Thank you, kind regards"]) == "formal"
    assert detect_style(["hey where's my stuff lol", "thx"]) == "casual"
    assert detect_style(["where is my order"]) is None
    assert detect_language(["hola, ¿dónde está mi pedido?"]) == "es" and detect_language(["hello"]) is None


def test_the_rephrasing_hook_keeps_the_template_without_a_rephraser() -> None:
    assert styled("Order 48213 shipped.", "casual") == "Order 48213 shipped."
    assert (
        styled("Order 48213 shipped.", "casual", lambda text, style: f"Yo! {text}")
        == "Yo! Order 48213 shipped."
    )
