"""Sentiment per message (VADER, offline) and escalation: a frustrated customer is offered a
human at once, and their handoff is queued with high priority."""

from __future__ import annotations

import sqlalchemy as sa

from actions.orders import ActionShippingInfo
from actions.support import ActionCoreFallback, ActionDefaultAskAffirmation, ActionHandoff
from assistant.personalization.sentiment import analyse, is_frustrated, recently_frustrated, trend
from assistant.store import Store
from assistant.store.conversation_models import Conversation
from tests.actions.helpers import run_action, slot_values
from tests.conftest import make_tracker

ANGRY = "This is ridiculous, where the hell is my order?!"


def test_each_message_gets_a_sentiment() -> None:
    assert analyse(ANGRY).label == "negative" and analyse(ANGRY).frustrated
    assert analyse("thanks a lot, that was great").label == "positive"
    assert analyse("where is my order").label == "neutral"
    assert analyse("meh", scorer=lambda text: -0.9).frustrated, "a better analyser can replace VADER"


def test_frustration_is_one_very_negative_message_or_two_negative_ones() -> None:
    assert is_frustrated(["hello", ANGRY])
    assert is_frustrated(["this is so annoying", "still broken and useless"])
    assert not is_frustrated(["this is annoying", "ok thanks, that helps"])
    assert not is_frustrated(["where is my order"]) and not is_frustrated([])
    assert recently_frustrated([ANGRY, "yes please"]) and not recently_frustrated(
        [ANGRY, "ok", "fine", "thanks"]
    )


def test_the_satisfaction_trend_follows_the_latest_scores() -> None:
    assert trend([-0.6, -0.5, -0.4, 0.3, 0.5, 0.6]) == "improving"
    assert trend([0.5, 0.4, 0.6, -0.5, -0.7, -0.2]) == "declining"
    assert trend([0.1, 0.1]) == "stable" and trend([0.2]) == "unknown"


def test_a_frustrated_customer_the_nlu_did_not_understand_is_offered_a_human_at_once(store: Store) -> None:
    tracker = make_tracker(text="this is absolutely useless, terrible service!!", intent="nlu_fallback")
    tracker.latest_message["intent_ranking"] = [{"name": "order_status", "confidence": 0.3}]
    texts, _ = run_action(ActionDefaultAskAffirmation(), tracker)
    assert "connect you with a member of our support team right away" in texts[0]
    calm = make_tracker(text="erm the thing with the stuff", intent="nlu_fallback")
    calm.latest_message["intent_ranking"] = [{"name": "order_status", "confidence": 0.3}]
    assert (
        "Do you want to check the status of an order?"
        in run_action(ActionDefaultAskAffirmation(), calm)[0][0]
    )


def test_the_core_fallback_offers_a_human_instead_of_asking_to_rephrase(store: Store) -> None:
    texts, events = run_action(ActionCoreFallback(), make_tracker(text="you are useless, this is awful!!"))
    assert "right away" in texts[0] and slot_values(events)["human_offered"] is True
    texts, events = run_action(ActionCoreFallback(), make_tracker(text="blue banana"))
    assert texts == ["utter_ask_rephrase"] and "human_offered" not in slot_values(events)


def test_an_answer_to_a_frustrated_customer_comes_with_the_offer(store: Store) -> None:
    texts, events = run_action(
        ActionShippingInfo(), make_tracker(text="your shipping is terrible and slow, I hate this!!")
    )
    assert texts[-1] == "utter_offer_human" and slot_values(events)["human_offered"] is True
    texts, events = run_action(ActionShippingInfo(), make_tracker(text="how long does shipping take"))
    assert "utter_offer_human" not in texts and not events


def test_a_frustrated_customer_s_handoff_is_high_priority(store: Store) -> None:
    angry = make_tracker(text="I am furious, this is the worst service ever", intent="request_human")
    calm = make_tracker(text="can I talk to a person", intent="request_human")
    for tracker in (angry, calm):
        run_action(ActionHandoff(), tracker)
    with store.session() as s:
        priority = dict(s.execute(sa.select(Conversation.id, Conversation.priority).where(
            Conversation.id.in_([angry.sender_id, calm.sender_id]))).all())  # fmt: skip
    assert priority == {angry.sender_id: "high", calm.sender_id: "normal"}
