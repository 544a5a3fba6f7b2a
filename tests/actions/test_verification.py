"""Proof before acting: one-time codes e-mailed to the address on file, and the conversation's
identity set only by channels (signed claims) and codes."""

from __future__ import annotations

from typing import Tuple

import pytest
from rasa_sdk import Tracker

from actions.account import ValidateUpdateAccountForm
from actions.orders import ActionCancelOrder, ValidateCancelOrderForm
from actions.services import get_settings
from actions.session import ActionSessionStart
from assistant.identity import claims
from assistant.identity.permissions import IdentityState, Level
from assistant.identity.secret import identity_secret
from assistant.store import Store
from tests.actions.helpers import answer, run_action, slot_values
from tests.conftest import make_tracker

JANE = "jane.doe@example.com"


def latest_code(store: Store, address: str = JANE) -> str:
    [*_, mail] = [m for m in store.outbox(address) if m.kind == "verification_code"]
    assert mail.secret is not None and mail.secret not in mail.body and "{secret}" in mail.body
    return mail.secret


def start_cancel(store: Store) -> Tuple[Tracker, list]:
    tracker = make_tracker(text="cancel order 10001", intent="cancel_order")
    tracker, texts, slots = answer(ValidateCancelOrderForm(), tracker, "cancel order 10001", order_id="10001")
    assert slots["requested_slot"] == "verification_code"
    return tracker, texts


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_an_anonymous_cancellation_gets_a_code_at_the_address_on_file(store: Store) -> None:
    _, texts = start_cancel(store)
    assert any("e-mailed a 6-digit code to the e-mail address on file for that order" in t for t in texts)
    assert len(latest_code(store)) == 6
    assert store.get_order(10001).status == "processing"


def test_the_right_code_verifies_the_conversation_and_the_flow_goes_on(store: Store) -> None:
    form = ValidateCancelOrderForm()
    tracker, _ = start_cancel(store)
    code = latest_code(store)
    # DIET also reads the six digits as an order number: the form must keep order 10001.
    tracker, texts, slots = answer(form, tracker, code, verification_code=code, order_id=code)
    assert slots["customer_id"] == 1 and slots["verification"] == "verified"
    assert slots["verification_code"] == "verified" and slots["order_id"] == "10001"
    assert slots["requested_slot"] == "confirmed"
    assert any("you're verified" in t for t in texts)
    tracker.slots["confirmed"] = True
    texts, _ = run_action(ActionCancelOrder(), tracker)
    assert "order 10001 is cancelled" in texts[0]
    assert store.get_order(10001).status == "cancelled"


def test_a_wrong_code_is_refused_with_the_tries_left(store: Store) -> None:
    tracker, _ = start_cancel(store)
    bad = wrong(latest_code(store))
    tracker, texts, slots = answer(ValidateCancelOrderForm(), tracker, bad, verification_code=bad)
    assert slots["verification_code"] is None and slots["requested_slot"] == "verification_code"
    assert "isn't right. You have 4 tries left" in texts[0]
    assert tracker.get_slot("verification") == "anonymous"


def test_five_wrong_codes_lock_the_flow_and_the_address(store: Store) -> None:
    form = ValidateCancelOrderForm()
    tracker, _ = start_cancel(store)
    bad = wrong(latest_code(store))
    for _ in range(5):
        tracker, texts, slots = answer(form, tracker, bad, verification_code=bad)
    assert slots["form_aborted"] is True and slots["requested_slot"] is None
    assert "can't accept more codes" in texts[-1]
    # The right code no longer helps, and another conversation cannot start over either.
    tracker, texts, slots = answer(form, tracker, latest_code(store), verification_code=latest_code(store))
    assert tracker.get_slot("verification") != "verified"
    other, texts = start_cancel_expecting_lock(store)
    assert any("can't accept more codes" in t for t in texts)


def test_saying_no_instead_of_the_code_stops_the_flow_and_changes_nothing(store: Store) -> None:
    tracker, _ = start_cancel(store)
    tracker, texts, slots = answer(
        ValidateCancelOrderForm(),
        tracker,
        "actually no, keep it",
        intent="deny",
        verification_code="actually no",
    )
    assert (
        texts == ["utter_form_stopped"] and slots["form_aborted"] is True and slots["requested_slot"] is None
    )
    assert run_action(ActionCancelOrder(), tracker)[0] == []
    assert store.get_order(10001).status == "processing"


def start_cancel_expecting_lock(store: Store) -> Tuple[Tracker, list]:
    tracker = make_tracker(text="cancel order 10001", intent="cancel_order")
    tracker, texts, slots = answer(ValidateCancelOrderForm(), tracker, "cancel order 10001", order_id="10001")
    assert slots["form_aborted"] is True and slots["requested_slot"] is None
    return tracker, texts


def test_resend_issues_a_new_code_and_retires_the_old_one(store: Store) -> None:
    form = ValidateCancelOrderForm()
    tracker, _ = start_cancel(store)
    first = latest_code(store)
    tracker, texts, _ = answer(
        form, tracker, "I didn't get it, resend please", verification_code="I didn't get it"
    )
    second = latest_code(store)
    assert len([m for m in store.outbox(JANE) if m.kind == "verification_code"]) == 2
    if first != second:
        tracker, texts, slots = answer(form, tracker, first, verification_code=first)
        assert slots["verification_code"] is None
    tracker, _, slots = answer(form, tracker, second, verification_code=second)
    assert slots["verification"] == "verified"


@pytest.mark.parametrize("email", [JANE, "ghost@example.com"])
def test_an_account_code_never_tells_whether_the_address_has_an_account(store: Store, email: str) -> None:
    tracker = make_tracker(text="update my phone", intent="update_account")
    tracker, texts, slots = answer(ValidateUpdateAccountForm(), tracker, email, email=email)
    assert slots["requested_slot"] == "verification_code"
    assert texts == [
        f"To keep accounts safe I need to check it's you. If {email} has an account with us, "
        "I've just e-mailed it a 6-digit code."
    ]
    sent = [m for m in store.outbox() if m.kind == "verification_code"]
    assert [m.to_address for m in sent] == ([JANE] if email == JANE else [])


def test_a_signed_in_customer_is_not_asked_for_an_email_or_a_code(store: Store) -> None:
    tracker = make_tracker(text="update my phone", intent="update_account", verified=1)
    _, texts, slots = answer(ValidateUpdateAccountForm(), tracker, "update my phone")
    assert slots["requested_slot"] == "account_field"
    assert store.outbox() == []


def test_a_claimed_customer_gets_the_code_at_the_address_on_their_account(store: Store) -> None:
    tracker = make_tracker(text="update my phone", intent="update_account", claimed=2)
    _, texts, slots = answer(ValidateUpdateAccountForm(), tracker, "update my phone")
    assert slots["requested_slot"] == "verification_code"
    assert "the e-mail address on your account" in texts[0]
    assert [m.to_address for m in store.outbox()] == ["omar.haddad@example.com"]


def signed(state: IdentityState, conversation_id: str) -> dict:
    secret = identity_secret(get_settings())
    return {
        claims.CLAIM_KEY: claims.issue_claim(
            secret, conversation_id, "webchat", state, "customer-1", "jwt", True
        )
    }


def session_start(metadata: dict, sender: str, slots: dict = None) -> dict:
    tracker = make_tracker(slots={"session_started_metadata": metadata, **(slots or {})}, sender_id=sender)
    _, events = run_action(ActionSessionStart(), tracker)
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    return slot_values(events)


def test_a_new_session_takes_its_identity_from_the_channels_signed_claim(store: Store) -> None:
    slots = session_start(signed(IdentityState(1, Level.VERIFIED), "conv-1"), "conv-1")
    assert slots["customer_id"] == 1 and slots["verification"] == "verified"


def test_a_forged_or_borrowed_claim_leaves_the_session_anonymous(store: Store) -> None:
    forged = signed(IdentityState(1, Level.VERIFIED), "conv-2")
    forged[claims.CLAIM_KEY]["customer_id"] = 3
    assert session_start(forged, "conv-2")["verification"] == "anonymous"
    borrowed = signed(IdentityState(1, Level.VERIFIED), "someone-elses-conversation")
    assert session_start(borrowed, "conv-3")["customer_id"] is None
    typed = {claims.CLAIM_KEY: {"customer_id": 1, "level": "verified"}}
    assert session_start(typed, "conv-4")["verification"] == "anonymous"


def test_a_new_session_forgets_the_previous_verification_and_keeps_harmless_context(store: Store) -> None:
    previous = {"customer_id": 1.0, "verification": "verified", "order_id": "48213", "email": JANE,
                "order_access": [48213]}  # fmt: skip
    slots = session_start({}, "conv-5", previous)
    assert slots["verification"] == "anonymous" and slots["customer_id"] is None
    assert slots["order_id"] == "48213"
    assert "email" not in slots and "order_access" not in slots


def test_a_message_holding_the_code_answers_the_code_question_whatever_its_intent(store: Store) -> None:
    form = ValidateCancelOrderForm()
    tracker, _ = start_cancel(store)
    code = latest_code(store)
    tracker.latest_message = {"text": f"my code is {code}", "intent": {"name": "faq"}}
    assert form.extract_verification_code(None, tracker, {}) == {"verification_code": f"my code is {code}"}
    tracker.latest_message = {"text": "where is order 1234567", "intent": {"name": "order_status"}}
    assert form.extract_verification_code(None, tracker, {}) == {}
