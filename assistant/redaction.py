"""Finds payment card numbers in free text and masks them.

Customers sometimes type a card number into the chat although we never take one there. A digit
run of 13-19 digits (spaces or dashes allowed between groups) that passes the Luhn check is
treated as a card number.
"""

from __future__ import annotations

import re
from typing import List

REDACTED_CARD = "[REDACTED CARD]"
_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn checksum used by card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_card_numbers(text: str) -> List[str]:
    """The substrings of ``text`` that look like real card numbers."""
    found = []
    for match in _CANDIDATE.finditer(text or ""):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(match.group())
    return found


def contains_card_number(text: str) -> bool:
    return bool(find_card_numbers(text))


def redact_card_numbers(text: str) -> str:
    """``text`` with every card number replaced by a fixed marker."""
    for card in find_card_numbers(text):
        text = text.replace(card, REDACTED_CARD)
    return text
