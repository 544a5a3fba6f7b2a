"""Every action that reads or changes a customer's data, run against every identity state a
conversation can be in: the effect happens exactly when the permission rules allow it. (On
SQLite only: the rules do not depend on the database, and every store operation is tested on
both databases in the per-feature tests.)"""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest

from actions.account import ActionDeleteAccount, ActionSendPasswordReset, ActionUpdateAccount
from actions.billing import ActionLogBillingIssue, ActionSendPaymentLink
from actions.orders import ActionCancelOrder, ActionCheckOrderStatus, ActionShippingInfo
from actions.returns import ActionCheckRefundStatus, ActionCreateReturn
from actions.subscriptions import ActionCancelSubscription, ActionChangePlan
from assistant.store import Store
from tests.actions.helpers import run_action
from tests.conftest import make_tracker

JANE, OMAR, MEI = 1, 2, 3
JANE_EMAIL = "jane.doe@example.com"
IDENTITIES: Dict[str, Dict[str, Any]] = {
    "anonymous": {},
    "claimed owner": {"claimed": JANE},
    "claimed other": {"claimed": OMAR},
    "verified owner": {"verified": JANE},
    "verified other": {"verified": OMAR},
}


def jane_cancelled(store: Store, texts) -> bool:
    return store.get_order(10001).status == "cancelled"


def jane_returned(store: Store, texts) -> bool:
    return bool(store.get_order(1234567).returns)


def jane_phone_changed(store: Store, texts) -> bool:
    return store.get_customer(JANE).phone == "+1 555 7777"


def jane_erasure(store: Store, texts) -> bool:
    return store.get_customer(JANE).erasure_scheduled_for is not None


def jane_plan_changed(store: Store, texts) -> bool:
    return store.subscription_of(JANE).plan == "enterprise"


def jane_subscription_cancelled(store: Store, texts) -> bool:
    return store.subscription_of(JANE).status == "cancelled"


def jane_mail(kind: str) -> Callable[[Store, Any], bool]:
    return lambda store, texts: any(m.kind == kind for m in store.outbox(JANE_EMAIL))


def jane_ticket(store: Store, texts) -> bool:
    with store.session() as s:
        from assistant.store.models import Ticket

        return s.query(Ticket).filter(Ticket.customer_id == JANE).count() > 0


def tracking_told(store: Store, texts) -> bool:
    return any("1Z999AA10123456784" in t for t in texts)


def status_told(store: Store, texts) -> bool:
    return any("shipped on" in t for t in texts)


def refund_amount_told(store: Store, texts) -> bool:
    return any("$158.00" in t for t in texts)


CASES = {
    # name: (action, slots, effect, identities for which the effect must happen)
    "cancel an order": (ActionCancelOrder(), {"order_id": "10001", "confirmed": True}, jane_cancelled, {"verified owner"}),
    "start a return": (ActionCreateReturn(), {"order_id": "1234567", "return_reason": "too big"}, jane_returned, {"verified owner"}),
    "update account details": (ActionUpdateAccount(), {"email": JANE_EMAIL, "account_field": "phone", "new_value": "+1 555 7777"}, jane_phone_changed, {"verified owner"}),
    "delete the account": (ActionDeleteAccount(), {"email": JANE_EMAIL, "confirmed": True}, jane_erasure, {"verified owner"}),
    "change the plan": (ActionChangePlan(), {"email": JANE_EMAIL, "plan": "enterprise", "confirmed": True}, jane_plan_changed, {"verified owner"}),
    "cancel the subscription": (ActionCancelSubscription(), {"email": JANE_EMAIL, "confirmed": True, "accept_offer": False}, jane_subscription_cancelled, {"verified owner"}),
    "update the payment method": (ActionSendPaymentLink(), {"email": JANE_EMAIL}, jane_mail("payment_update"), {"verified owner"}),
    "open a billing ticket": (ActionLogBillingIssue(), {"email": JANE_EMAIL, "issue_details": "charged twice"}, jane_ticket, {"verified owner"}),
    # Public: the link goes to the address on file of the conversation's own account, or of the typed one.
    "reset the password": (ActionSendPasswordReset(), {"email": JANE_EMAIL}, jane_mail("password_reset"), {"anonymous", "claimed owner", "verified owner"}),
    "see an order's tracking": (ActionCheckOrderStatus(), {"order_id": "48213"}, tracking_told, {"verified owner"}),
    "see an order's status": (ActionCheckOrderStatus(), {"order_id": "48213"}, status_told, {"verified owner", "claimed owner"}),
    "see shipping details": (ActionShippingInfo(), {"order_id": "48213"}, tracking_told, {"verified owner"}),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("who", sorted(IDENTITIES))
def test_the_effect_happens_only_for_the_identities_the_rules_allow(
    sqlite_store: Store, case: str, who: str
) -> None:
    action, slots, effect, allowed = CASES[case]
    texts, _ = run_action(action, make_tracker(slots=dict(slots), **IDENTITIES[who]))
    assert effect(sqlite_store, texts) is (who in allowed), f"{case} as {who}: {texts}"


@pytest.mark.parametrize("who", sorted(IDENTITIES))
def test_anyone_who_gave_the_orders_email_or_postcode_sees_its_details(sqlite_store: Store, who: str) -> None:
    slots = {"order_id": "48213", "order_access": [48213]}
    texts, _ = run_action(ActionCheckOrderStatus(), make_tracker(slots=slots, **IDENTITIES[who]))
    assert tracking_told(sqlite_store, texts)
    texts, _ = run_action(
        ActionCancelOrder(),
        make_tracker(
            slots={"order_id": "10001", "confirmed": True, "order_access": [10001]}, **IDENTITIES[who]
        ),
    )
    assert jane_cancelled(sqlite_store, texts) is (who == "verified owner")


@pytest.mark.parametrize("who", sorted(IDENTITIES))
def test_refund_amounts_follow_the_same_rules(sqlite_store: Store, who: str) -> None:
    mei = {k: (MEI if v == JANE else v) for k, v in IDENTITIES[who].items()}
    texts, _ = run_action(ActionCheckRefundStatus(), make_tracker(slots={"order_id": "50005"}, **mei))
    assert refund_amount_told(sqlite_store, texts) is (who == "verified owner")
