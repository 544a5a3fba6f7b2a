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
MAX_ANSWER_WORDS = 12


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


# "postcode 62701", "zip: 62701", "my post code is NW1 6XE", "62701 is my zip".
_POSTCODE_WORD = r"(?:post\s*code|postal\s*code|zip(?:\s*code)?)"
_POSTCODE_BEFORE = re.compile(_POSTCODE_WORD + r"\W*(?:is\W*)?$", re.IGNORECASE)
_POSTCODE_AFTER = re.compile(
    r"^\W*(?:is\s+(?:my\s+|the\s+)?" + _POSTCODE_WORD + "|" + _POSTCODE_WORD + r"\W*$)", re.IGNORECASE
)
_CODE = r"([A-Za-z0-9]{2,4}(?:\s?[A-Za-z0-9]{3})?)"
_POSTCODE_STATED = [
    re.compile(_POSTCODE_WORD + r"\W*(?:is\W*)?" + _CODE + r"\b", re.IGNORECASE),
    re.compile(r"\b" + _CODE + r"\s+is\s+(?:my\s+|the\s+)?" + _POSTCODE_WORD, re.IGNORECASE),
]


def marked_as_postcode(text: str, start: int, end: int) -> bool:
    """Whether the span ``text[start:end]`` is called a postcode by the words around it."""
    return bool(_POSTCODE_BEFORE.search(text[:start]) or _POSTCODE_AFTER.search(text[end:]))


def stated_fact(text: str) -> Optional[str]:
    """An order fact the customer states in passing ("order 48213, postcode 62701", "... my
    e-mail is jane@example.com"): the one e-mail address in ``text``, or the postcode its words
    name; None when it states neither."""
    email = normalise_email(text)
    if email is not None:
        return email
    for pattern in _POSTCODE_STATED:
        found = pattern.search(text or "")
        if found and normalise_postcode(found.group(1)):
            return found.group(1)
    return None


def mentions_postcode(typed: str, postcode: Optional[str]) -> bool:
    """Whether ``typed`` is, or names among its words, ``postcode`` ("my postcode is 62701",
    "nw1 6xe thanks"): one to three consecutive words that make it up exactly. A message with
    more than two words holding digits, or more than 12 words, is no answer: one message must
    not try many postcodes at once."""
    wanted = normalise_postcode(postcode)
    if wanted is None:
        return False
    words = re.findall(r"[A-Za-z0-9]+", typed or "")
    if len(words) > MAX_ANSWER_WORDS or sum(any(c.isdigit() for c in w) for w in words) > 2:
        return False
    return normalise_postcode(typed) == wanted or any(
        "".join(words[i : i + n]).upper() == wanted for n in (1, 2, 3) for i in range(len(words) - n + 1)
    )


def _matches(s: sa.orm.Session, order: Order, typed: str) -> bool:
    email = normalise_email(typed)
    if email is not None:
        on_file = s.scalar(sa.select(Customer.email).where(Customer.id == order.customer_id))
        return email == (on_file or "").lower()
    return mentions_postcode(typed, order.shipping_postcode)


def _failures(s: sa.orm.Session, subject: str, conversation_id: Optional[str] = None) -> int:
    query = sa.select(sa.func.count(FailedAttempt.id)).where(
        FailedAttempt.subject == subject, FailedAttempt.created_at > utcnow() - WINDOW
    )
    if conversation_id is not None:
        query = query.where(FailedAttempt.conversation_id == conversation_id)
    return int(s.scalar(query) or 0)
