"""The personal slots pick the reply a customer notices: a returning customer's greeting in
their language or tone, priority handling for premium tiers, their last order first."""

from __future__ import annotations

from actions import services
from actions.session import ActionSessionStart
from assistant.identity.permissions import IdentityState, Level
from assistant.memory import Memories
from assistant.personalization.profile import detect_language, detect_style, update_profile
from assistant.personalization.replies import empty_slots, personal_slots, styled
from assistant.store import Store
from assistant.system_settings import save
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
        "formal",
        "concise",
        "returning",
        "returning_concise",
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


def test_the_admins_default_style_holds_where_the_customers_own_is_not_known(sqlite_store: Store) -> None:
    memories = Memories(sqlite_store)
    assert empty_slots("formal")["persona"] == "formal" and empty_slots("friendly")["persona"] is None
    assert personal_slots(memories, 4, "concise")["persona"] == "concise"  # first time: no name
    memories.remember(4, "preferred_shipping", "express")  # met before
    assert personal_slots(memories, 4, "concise")["persona"] == "returning_concise"
    assert personal_slots(memories, 4, "formal")["persona"] == "returning_formal"
    update_profile(sqlite_store, 4, style="casual")
    assert (
        personal_slots(memories, 4, "formal")["persona"] == "returning_casual"
    ), "the customer's own tone wins"


def test_an_anonymous_greeting_follows_the_default_response_style(sqlite_store: Store) -> None:
    save(sqlite_store, {"default_response_style": "formal"}, "admin-1")
    events = run_action(ActionSessionStart(), make_tracker(slots={}, events=[]))[1]
    assert slot_values(events)["persona"] == "formal"
    save(sqlite_store, {"default_response_style": "friendly"}, "admin-1")
    services.use_system_settings(None)
    assert (
        slot_values(run_action(ActionSessionStart(), make_tracker(slots={}, events=[]))[1]).get("persona")
        is None
    )
