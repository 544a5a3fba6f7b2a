"""Parsing of the identifiers customers type: order numbers, e-mail addresses, plans, ratings."""

from __future__ import annotations

import re
from typing import Optional

ORDER_ID_PATTERN = re.compile(r"^(?:ord(?:er)?[\s#:-]*|#)?\s*(\d{5,8})$", re.IGNORECASE)
ORDER_ID_IN_TEXT = re.compile(r"(?<![\w-])(?:ord-?|#)?(\d{5,8})(?!\d)", re.IGNORECASE)
EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PLAN_SYNONYMS = {
    "basic": "basic", "starter": "basic", "standard": "basic",
    "premium": "premium", "pro": "premium", "plus": "premium", "gold": "premium",
    "enterprise": "enterprise", "business": "enterprise", "team": "enterprise",
    "corporate": "enterprise",
}  # fmt: skip
RATING_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def parse_order_id(value: object) -> Optional[int]:
    """The order number in ``48213``, ``#48213``, ``ORD-48213`` or ``order 48213``, else None.

    A whole sentence is accepted too when it holds exactly one order-number-like token."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if value is None:
        return None
    text = str(value).strip()
    match = ORDER_ID_PATTERN.match(text)
    if match:
        return int(match.group(1))
    found = ORDER_ID_IN_TEXT.findall(text)
    return int(found[0]) if len(found) == 1 else None


def normalise_email(value: object) -> Optional[str]:
    """A lower-cased e-mail address found in ``value``, else None."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if not value:
        return None
    text = str(value).strip().strip("<>.,;")
    if EMAIL_PATTERN.match(text):
        return text.lower()
    found = EMAIL_IN_TEXT.findall(text)
    return found[0].lower() if len(found) == 1 else None


def normalise_plan(value: object) -> Optional[str]:
    """``basic``, ``premium`` or ``enterprise`` for a plan name or synonym, else None."""
    if not value:
        return None
    words = re.findall(r"[a-z]+", str(value).lower())
    plans = {PLAN_SYNONYMS[w] for w in words if w in PLAN_SYNONYMS}
    return plans.pop() if len(plans) == 1 else None


def parse_rating(value: object) -> Optional[int]:
    """A 1-5 rating from ``4``, ``4 stars``, ``four`` or ``4/5``, else None."""
    if value is None:
        return None
    text = str(value).strip().lower()
    digits = re.findall(r"\d+", text)
    if digits:
        number = int(digits[0])
    else:
        words = [RATING_WORDS[w] for w in re.findall(r"[a-z]+", text) if w in RATING_WORDS]
        if not words:
            return None
        number = words[0]
    return number if 1 <= number <= 5 else None
