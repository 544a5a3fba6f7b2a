from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.account import (
    ActionDeleteAccount,
    ActionSendPasswordReset,
    ActionUpdateAccount,
    ValidateResetPasswordForm,
    ValidateUpdateAccountForm,
)
from assistant.store import Store
from tests.actions.helpers import DOMAIN, run_action, said
from tests.conftest import make_tracker

JANE = "jane.doe@example.com"


def test_a_reset_link_goes_to_the_email_on_file(store: Store) -> None:
    texts, _ = run_action(ActionSendPasswordReset(), make_tracker(slots={"email": JANE}))
    assert "If there's an account for jane.doe@example.com" in texts[0]
    [mail] = store.outbox(JANE)
    assert "reset" in mail.subject.lower() and "?token=" in mail.body
    with store.session() as s:
        from assistant.store.models import AccountToken

        [token] = s.query(AccountToken).all()
        assert token.purpose == "password_reset" and token.token_sha256 not in mail.body


def test_a_reset_never_reveals_whether_an_email_exists(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    slots = ValidateResetPasswordForm().validate_email(
        "ghost@example.com", dispatcher, make_tracker(), DOMAIN
    )
    assert slots["email"] == "ghost@example.com" and said(dispatcher) == []
    texts, _ = run_action(ActionSendPasswordReset(), make_tracker(slots={"email": "ghost@example.com"}))
    assert texts[0].startswith("If there's an account for ghost@example.com")
    assert store.outbox() == []


def test_updating_the_phone_number_changes_the_account(store: Store) -> None:
    form, dispatcher = ValidateUpdateAccountForm(), CollectingDispatcher()
    assert form.validate_account_field("my mobile number", dispatcher, make_tracker(), DOMAIN) == {
        "account_field": "phone"
    }
    tracker = make_tracker(slots={"email": JANE, "account_field": "phone"})
    assert form.validate_new_value("+1 555 0199", dispatcher, tracker, DOMAIN) == {"new_value": "+1 555 0199"}
    texts, _ = run_action(
        ActionUpdateAccount(),
        make_tracker(slots={"account_field": "phone", "new_value": "+1 555 0199"}, verified=1),
    )
    assert texts == ["Done: your phone is now +1 555 0199."]
    assert store.customer_by_email(JANE).phone == "+1 555 0199"


def test_an_invalid_new_email_is_asked_again(store: Store) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"email": JANE, "account_field": "email"})
    assert ValidateUpdateAccountForm().validate_new_value("not-an-email", dispatcher, tracker, DOMAIN) == {
        "new_value": None
    }
    assert "valid email" in said(dispatcher)[0]


def test_an_email_of_another_account_is_refused(store: Store) -> None:
    slots = {"account_field": "email", "new_value": "omar.haddad@example.com"}
    texts, _ = run_action(ActionUpdateAccount(), make_tracker(slots=slots, verified=1))
    assert "belongs to another account" in texts[0]
    assert store.customer_by_email(JANE) is not None


def test_deleting_the_account_schedules_erasure_and_cancels_the_plan(store: Store) -> None:
    texts, _ = run_action(ActionDeleteAccount(), make_tracker(slots={"confirmed": True}, verified=1))
    assert "scheduled for deletion on" in texts[0]
    assert store.customer_by_email(JANE).erasure_scheduled_for is not None
    assert store.subscription_of(1).status == "cancelled"


def test_not_confirming_keeps_the_account(store: Store) -> None:
    texts, _ = run_action(ActionDeleteAccount(), make_tracker(slots={"confirmed": False}, verified=1))
    assert "stays as it is" in texts[0]
    assert store.customer_by_email(JANE).erasure_scheduled_for is None


def test_typing_someone_elses_email_and_yes_deletes_nothing(store: Store) -> None:
    """The review's finding: an anonymous conversation that types an address and "yes"."""
    tracker = make_tracker(slots={"email": "mei.chen@example.com", "confirmed": True})
    texts, _ = run_action(ActionDeleteAccount(), tracker)
    assert "can't" in texts[0]
    assert store.customer_by_email("mei.chen@example.com").erasure_scheduled_for is None
    slots = {"email": "mei.chen@example.com", "account_field": "phone", "new_value": "+1 555 6666"}
    texts, _ = run_action(ActionUpdateAccount(), make_tracker(slots=slots))
    assert store.customer_by_email("mei.chen@example.com").phone == "+44 20 7946 0103"


def test_a_signed_in_customer_gets_the_reset_link_at_the_address_on_file(store: Store) -> None:
    texts, _ = run_action(ActionSendPasswordReset(), make_tracker(verified=2))
    assert "to the e-mail address on your account" in texts[0]
    assert [m.to_address for m in store.outbox()] == ["omar.haddad@example.com"]
