"""Who may do what: the one table of the assistant's permission rules.

Every flow that reads or changes a customer's data asks :func:`decide` with the conversation's
identity (who the channel or a one-time code proved the customer to be) and the owner of what
the flow touches. The answer says whether to go on, with how much detail, or what proof to ask
for. Nothing the customer types can change the identity; only channels (at session start) and
the one-time code do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Dict, Optional


class Level(str, Enum):
    """How sure we are who is writing: nothing known, said by the channel but not proven
    (an e-mail's From line), or proven (a signed-in login, a phone Meta verified, a code)."""

    ANONYMOUS = "anonymous"
    CLAIMED = "claimed"
    VERIFIED = "verified"


@dataclass(frozen=True)
class IdentityState:
    """The identity of one conversation: a customer (or none) and how sure we are."""

    customer_id: Optional[int] = None
    level: Level = Level.ANONYMOUS

    @property
    def verified(self) -> bool:
        return self.level is Level.VERIFIED and self.customer_id is not None

    def is_verified_owner(self, owner_id: Optional[int]) -> bool:
        return self.verified and owner_id is not None and owner_id == self.customer_id

    def is_claimed_owner(self, owner_id: Optional[int]) -> bool:
        return self.level is Level.CLAIMED and owner_id is not None and owner_id == self.customer_id


ANONYMOUS = IdentityState()


class Decision(str, Enum):
    ALLOW = "allow"  # go on, with every detail
    ALLOW_BASIC = "allow_basic"  # status, carrier and dates only: no tracking, address or amounts
    NEED_FACT = "need_fact"  # ask for the e-mail on the order or its postcode
    NEED_CODE = "need_code"  # e-mail a one-time code to the owner's address on file
    NOT_OWNER = "not_owner"  # a verified customer asking about someone else's order or account


class Access(str, Enum):
    PUBLIC = "public"  # anyone: the result only ever reaches the address on file
    READ = "read"  # an order's details: the owner, or anyone who knows a matching fact
    CHANGE = "change"  # a verified customer who owns what is changed


@dataclass(frozen=True)
class Rule:
    access: Access
    subject: str  # "order" or "account": what the owner is the owner of
    description: str


RULES: Dict[str, Rule] = {
    "view_order": Rule(Access.READ, "order", "order status, shipping and refunds"),
    "cancel_order": Rule(Access.CHANGE, "order", "cancel an order"),
    "create_return": Rule(Access.CHANGE, "order", "start a return"),
    "update_account": Rule(Access.CHANGE, "account", "change account details"),
    "delete_account": Rule(Access.CHANGE, "account", "delete the account"),
    "change_plan": Rule(Access.CHANGE, "account", "change the plan"),
    "cancel_subscription": Rule(Access.CHANGE, "account", "cancel the subscription"),
    "update_payment": Rule(Access.CHANGE, "account", "update the payment method"),
    "billing_ticket": Rule(Access.CHANGE, "account", "open a billing ticket about the account"),
    "reset_password": Rule(Access.PUBLIC, "account", "e-mail a password-reset link"),
}


def decide(
    action: str, identity: IdentityState, owner_id: Optional[int], fact_given: bool = False
) -> Decision:
    """What ``identity`` may do with ``action`` on something owned by ``owner_id`` (None when
    it has no owner we know of, e.g. an e-mail address without an account)."""
    rule = RULES[action]
    if rule.access is Access.PUBLIC:
        return Decision.ALLOW
    if rule.access is Access.READ:
        return _read(identity, owner_id, fact_given)
    if identity.verified:
        return Decision.ALLOW if identity.is_verified_owner(owner_id) else Decision.NOT_OWNER
    return Decision.NEED_CODE


def _read(identity: IdentityState, owner_id: Optional[int], fact_given: bool) -> Decision:
    if identity.is_verified_owner(owner_id) or fact_given:
        return Decision.ALLOW
    if identity.is_claimed_owner(owner_id):
        return Decision.ALLOW_BASIC
    return Decision.NEED_FACT


__all__ = ["Access", "Decision", "IdentityState", "Level", "Rule", "RULES", "ANONYMOUS", "decide"]
