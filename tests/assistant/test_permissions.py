"""The permission rules, as a table: every rule against every kind of identity."""

from __future__ import annotations

import pytest

from assistant.identity.permissions import RULES, Decision, IdentityState, Level, decide

OWNER, OTHER = 1, 2
IDENTITIES = {
    "anonymous": IdentityState(),
    "claimed owner": IdentityState(OWNER, Level.CLAIMED),
    "claimed other": IdentityState(OTHER, Level.CLAIMED),
    "verified owner": IdentityState(OWNER, Level.VERIFIED),
    "verified other": IdentityState(OTHER, Level.VERIFIED),
}
CHANGE = {"anonymous": Decision.NEED_CODE, "claimed owner": Decision.NEED_CODE, "claimed other": Decision.NEED_CODE,
          "verified owner": Decision.ALLOW, "verified other": Decision.NOT_OWNER}  # fmt: skip
READ = {"anonymous": Decision.NEED_FACT, "claimed owner": Decision.ALLOW_BASIC, "claimed other": Decision.NEED_FACT,
        "verified owner": Decision.ALLOW, "verified other": Decision.NEED_FACT}  # fmt: skip
PUBLIC = {name: Decision.ALLOW for name in IDENTITIES}
EXPECTED = {
    "view_order": READ,
    "cancel_order": CHANGE, "create_return": CHANGE, "update_account": CHANGE, "delete_account": CHANGE,
    "change_plan": CHANGE, "cancel_subscription": CHANGE, "update_payment": CHANGE, "billing_ticket": CHANGE,
    "reset_password": PUBLIC,
}  # fmt: skip


def test_every_rule_is_in_the_table() -> None:
    assert set(EXPECTED) == set(RULES)


@pytest.mark.parametrize("action", sorted(RULES))
@pytest.mark.parametrize("who", sorted(IDENTITIES))
def test_each_identity_gets_exactly_what_the_rules_say(action: str, who: str) -> None:
    assert decide(action, IDENTITIES[who], OWNER) == EXPECTED[action][who]


@pytest.mark.parametrize("who", sorted(IDENTITIES))
def test_a_matching_order_fact_opens_an_orders_details_to_anyone_but_changes_nothing(who: str) -> None:
    assert decide("view_order", IDENTITIES[who], OWNER, fact_given=True) == Decision.ALLOW
    assert decide("cancel_order", IDENTITIES[who], OWNER, fact_given=True) == CHANGE[who]


def test_nothing_without_an_owner_can_be_changed_even_when_verified() -> None:
    assert decide("update_account", IdentityState(OWNER, Level.VERIFIED), None) == Decision.NOT_OWNER
    assert decide("update_account", IdentityState(), None) == Decision.NEED_CODE
