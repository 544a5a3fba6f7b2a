from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.support import (
    CHECK_ORDER_HINT,
    ActionCoreFallback,
    ActionDefaultAskAffirmation,
    ActionDefaultFallback,
    ActionHandoff,
    ActionLogComplaint,
    ActionSaveFeedback,
    ActionStopForm,
    ValidateFeedbackForm,
)
from assistant.store import Store
from tests.actions.helpers import DOMAIN, run_action, said, slot_values
from tests.conftest import make_tracker


def test_a_complaint_is_acknowledged_ticketed_and_a_human_offered(store: Store) -> None:
    tracker = make_tracker(text="third time my order is late, ridiculous", intent="complaint")
    texts, events = run_action(ActionLogComplaint(), tracker)
    assert "really sorry" in texts[0] and "TCK-" in texts[0]
    assert slot_values(events) == {"human_offered": True}
    [ticket] = store.tickets_for_conversation(tracker.sender_id)
    assert ticket.category == "complaint" and ticket.priority == "high"


def test_a_complaint_about_a_delivery_says_the_order_number_is_enough_to_check_it(store: Store) -> None:
    late, _ = run_action(
        ActionLogComplaint(), make_tracker(text="my parcel STILL hasn't arrived", intent="complaint")
    )
    rude, _ = run_action(ActionLogComplaint(), make_tracker(text="you are useless", intent="complaint"))
    broken, _ = run_action(
        ActionLogComplaint(), make_tracker(text="the item arrived broken", intent="complaint")
    )
    known, _ = run_action(
        ActionLogComplaint(),
        make_tracker(text="order 48213 is late again", intent="complaint", slots={"order_id": "48213"}),
    )
    assert CHECK_ORDER_HINT in late[0]
    assert CHECK_ORDER_HINT not in rude[0] and CHECK_ORDER_HINT not in known[0]
    assert CHECK_ORDER_HINT not in broken[0], "a broken item has arrived: nothing to track"


def test_feedback_ratings_are_stored_with_the_conversation(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    assert ValidateFeedbackForm().validate_rating("4 stars", dispatcher, make_tracker(), DOMAIN) == {
        "rating": "4"
    }
    tracker = make_tracker(slots={"rating": "4"})
    texts, _ = run_action(ActionSaveFeedback(), tracker)
    assert "4/5" in texts[0]
    with store.session() as s:
        from assistant.store.models import Feedback

        [row] = s.query(Feedback).all()
        assert (row.conversation_id, row.rating) == (tracker.sender_id, 4)


def test_a_rating_outside_1_to_5_is_asked_again(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    assert ValidateFeedbackForm().validate_rating("11", dispatcher, make_tracker(), DOMAIN) == {
        "rating": None
    }
    assert "1 to 5" in said(dispatcher)[0]


def test_a_handoff_marks_the_conversation_waiting_and_pauses_the_bot(store: Store) -> None:
    tracker = make_tracker(text="agent please", intent="request_human", active_loop="billing_form")
    texts, events = run_action(ActionHandoff(), tracker)
    assert "connecting you with a member of our support team" in texts[0]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "active_loop" and events[0]["name"] is None
    assert kinds[-2:] == ["action", "pause"] and events[-2]["name"] == "action_listen"
    handoff = store.open_handoff(tracker.sender_id)
    assert handoff.status == "waiting" and handoff.reason == "requested"
    run_action(ActionHandoff(), tracker)
    assert store.open_handoff(tracker.sender_id).id == handoff.id, "a repeat request keeps one handoff"


def test_repeated_fallback_hands_over_with_the_fallback_reason(store: Store) -> None:
    tracker = make_tracker(text="blorp", intent="nlu_fallback")
    texts, events = run_action(ActionDefaultFallback(), tracker)
    assert "trouble understanding" in texts[0]
    assert events[-1]["event"] == "pause"
    assert store.open_handoff(tracker.sender_id).reason == "fallback"


def test_stopping_a_form_deactivates_it_and_clears_its_slots(store: Store) -> None:
    texts, events = run_action(
        ActionStopForm(), make_tracker(active_loop="return_form", slots={"return_reason": "x"})
    )
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    assert slot_values(events)["return_reason"] is None


def test_the_fallback_asks_about_the_likeliest_intent_in_words(store: Store) -> None:
    tracker = make_tracker(text="my thing is broke", intent="nlu_fallback")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback"},
        {"name": "return_item"},
        {"name": "complaint"},
    ]
    dispatcher = CollectingDispatcher()
    import asyncio

    asyncio.run(ActionDefaultAskAffirmation().run(dispatcher, tracker, DOMAIN))
    [message] = dispatcher.messages
    assert message["text"].endswith("Do you want to return an item?")
    assert [b["payload"] for b in message["buttons"]] == ["/return_item", "/deny"]


def test_the_core_fallback_asks_to_rephrase_forgets_the_message_and_listens(store: Store) -> None:
    texts, events = run_action(ActionCoreFallback(), make_tracker(text="??", intent="inform"))
    assert texts == ["utter_ask_rephrase"]
    assert [e["event"] for e in events] == ["rewind", "followup"] and events[1]["name"] == "action_listen"


def affirmation_question(intent: str) -> dict:
    buttons = [{"title": "Yes", "payload": f"/{intent}"}, {"title": "No, something else", "payload": "/deny"}]
    return {"event": "bot", "text": "Sorry, I'm not sure I understood. Do you want to talk to a person?",
            "data": {"buttons": buttons}}  # fmt: skip


def test_a_typed_yes_to_do_you_want_to_is_taken_as_the_suggested_request(store: Store) -> None:
    tracker = make_tracker(text="yes", intent="affirm", events=[affirmation_question("request_human")])
    texts, events = run_action(ActionCoreFallback(), tracker)
    assert texts == []
    [listen, uttered] = events[-2:]
    assert listen["event"] == "action" and listen["name"] == "action_listen"
    assert uttered["event"] == "user" and uttered["parse_data"]["intent"]["name"] == "request_human"


def test_without_a_suggestion_the_customer_is_asked_to_rephrase_and_the_message_forgotten(
    store: Store,
) -> None:
    texts, events = run_action(ActionCoreFallback(), make_tracker(text="yes", intent="affirm"))
    assert texts == ["utter_ask_rephrase"]
    assert [e["event"] for e in events] == ["rewind", "followup"]


def test_a_fallback_loop_a_revert_would_bring_back_is_ended(store: Store) -> None:
    tracker = make_tracker(text="zzz", intent="deny", active_loop="action_two_stage_fallback")
    _, events = run_action(ActionCoreFallback(), tracker)
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
