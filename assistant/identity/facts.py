"""Order facts: the e-mail address on an order or its delivery postcode, which unlock the
order's details for a conversation that is not signed in.

Wrong answers are recorded: three in one conversation end the attempt, and ten for one order
within an hour (from any conversations) lock that order's check, so postcodes cannot be
guessed at scale.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import Enum
from typing import Optional

import sqlalchemy as sa

from assistant.identifiers import normalise_email
from assistant.store import Store
from assistant.store.models import Customer, FailedAttempt, Order, utcnow

PER_CONVERSATION = 3
PER_ORDER = 10
WINDOW = timedelta(hours=1)


class FactCheck(str, Enum):
    MATCH = "match"
    WRONG = "wrong"  # try again
    EXHAUSTED = "exhausted"  # no more tries in this conversation, or the order is locked


def normalise_postcode(value: object) -> Optional[str]:
    """``SW1A1AA`` for ``sw1a 1aa``: letters and digits, upper case, 3 to 10 of them."""
    compact = re.sub(r"[^A-Za-z0-9]", "", str(value or "")).upper()
    return compact if 3 <= len(compact) <= 10 and any(c.isdigit() for c in compact) else None


def check_order_fact(store: Store, conversation_id: str, order: Order, typed: str) -> FactCheck:
    """Whether ``typed`` is the order's e-mail address or delivery postcode."""
    subject = f"order:{order.id}"
    with store.session() as s:
        if _failures(s, subject) >= PER_ORDER:
            return FactCheck.EXHAUSTED
        if _matches(s, order, typed):
            return FactCheck.MATCH
        s.add(FailedAttempt(subject=subject, conversation_id=conversation_id))
        s.flush()
        mine = _failures(s, subject, conversation_id)
    return FactCheck.EXHAUSTED if mine >= PER_CONVERSATION else FactCheck.WRONG


def _matches(s: sa.orm.Session, order: Order, typed: str) -> bool:
    email = normalise_email(typed)
    if email is not None:
        on_file = s.scalar(sa.select(Customer.email).where(Customer.id == order.customer_id))
        return email == (on_file or "").lower()
    postcode = normalise_postcode(typed)
    return postcode is not None and postcode == normalise_postcode(order.shipping_postcode)


def _failures(s: sa.orm.Session, subject: str, conversation_id: Optional[str] = None) -> int:
    query = sa.select(sa.func.count(FailedAttempt.id)).where(
        FailedAttempt.subject == subject, FailedAttempt.created_at > utcnow() - WINDOW
    )
    if conversation_id is not None:
        query = query.where(FailedAttempt.conversation_id == conversation_id)
    return int(s.scalar(query) or 0)
