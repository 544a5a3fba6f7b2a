from __future__ import annotations

from actions.billing import (
    ActionLogBillingIssue,
    ActionSendPaymentLink,
    ValidateBillingForm,
    ValidatePaymentForm,
)
from assistant.store import Store
from tests.actions.helpers import answer, run_action
from tests.conftest import make_tracker

CARD = "4111 1111 1111 1111"


def test_a_billing_issue_becomes_a_ticket_without_the_card_number(store: Store) -> None:
    details = f"charged twice on card {CARD} for 19.99"
    tracker = make_tracker(slots={"issue_details": details}, text=details, verified=1)
    texts, _ = run_action(ActionLogBillingIssue(), tracker)
    assert any("billing ticket TCK-" in t for t in texts)
    assert all(CARD not in t for t in texts)
    [ticket] = store.tickets_for_conversation(tracker.sender_id)
    assert ticket.category == "billing" and ticket.customer_id == 1
    assert CARD not in ticket.description and "[REDACTED CARD]" in ticket.description


def test_a_payment_link_is_emailed_to_a_known_customer(store: Store) -> None:
    texts, _ = run_action(ActionSendPaymentLink(), make_tracker(verified=1))
    assert "secure link" in texts[0]
    [mail] = store.outbox("jane.doe@example.com")
    assert "?token=" in mail.body and mail.subject.startswith("Update your Northwind payment")


def test_an_unverified_conversation_gets_no_payment_link_and_no_ticket(store: Store) -> None:
    tracker = make_tracker(slots={"email": "jane.doe@example.com", "issue_details": "double charge"})
    texts, _ = run_action(ActionSendPaymentLink(), tracker)
    assert "can't" in texts[0] and store.outbox() == []
    texts, _ = run_action(ActionLogBillingIssue(), tracker)
    assert "can't" in texts[0] and store.tickets_for_conversation(tracker.sender_id) == []


def test_a_card_number_typed_in_a_billing_flow_is_warned_about_on_that_turn(store: Store) -> None:
    for form in (ValidatePaymentForm(), ValidateBillingForm()):
        tracker = make_tracker(
            text="here is my card [REDACTED CARD] exp 12/27", intent="update_payment", verified=1
        )
        _, texts, _ = answer(form, tracker, "here is my card [REDACTED CARD] exp 12/27")
        assert "never type card numbers" in texts[0]
        _, texts, _ = answer(form, make_tracker(verified=1), "jane.doe@example.com")
        assert not any("never type card numbers" in t for t in texts)
