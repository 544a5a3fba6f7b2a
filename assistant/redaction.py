"""Finds payment card numbers and bank account numbers (IBANs) in free text and masks them.

Customers sometimes type a card number into the chat although we never take one there. Every
channel passes each incoming message through :func:`redact` at its entry, before anyone or
anything sees it (other sockets, agents, the Redis queue, NLU, the tracker store, logs); the
tracker store and the store apply it again as a safety net.

- A card number is 13-19 digits in groups separated by any spacing, dashes, dots or slashes
  (``4111 1111 1111 1111``, ``4111--1111 . 1111/1111``) that passes the Luhn check. Every
  window of whole groups is tried, so digits typed next to a card (``order 48213 4111 ...``)
  do not hide it, while one long run such as a tracking number is left alone.
- An IBAN is two letters, two check digits and 11-30 letters or digits (in groups separated
  by spaces or dashes) whose ISO 7064 mod-97 checksum is 1.
"""

from __future__ import annotations

import re
from typing import Any, Callable, List, Tuple

REDACTED_CARD = "[REDACTED CARD]"
REDACTED_IBAN = "[REDACTED IBAN]"
_CARD_RUN = re.compile(r"(?<!\d)\d+(?:[\s._/\\-]{1,5}\d+)*")
_IBAN_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}[A-Za-z0-9]*(?:[ -][A-Za-z0-9]+)*")
_GROUP = re.compile(r"[A-Za-z0-9]+")
Span = Tuple[int, int]


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


def _card_like(compact: str) -> bool:
    return compact.isdigit() and 13 <= len(compact) <= 19 and luhn_valid(compact)


def iban_valid(compact: str) -> bool:
    """True when ``compact`` (letters and digits only) has a valid IBAN mod-97 checksum."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    if not compact.isalnum() or not compact.isascii():
        return False
    rearranged = (compact[4:] + compact[:4]).upper()
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _windows(text: str, run: re.Pattern, valid: Callable[[str], bool], max_len: int) -> List[Span]:
    """Spans of ``text`` made of whole groups of a ``run`` match whose joined characters are
    ``valid``; for each start group the longest valid window wins."""
    spans: List[Span] = []
    for match in run.finditer(text):
        groups = list(_GROUP.finditer(match.group()))
        for i, first in enumerate(groups):
            compact, best = "", None
            for group in groups[i:]:
                compact += group.group()
                if len(compact) > max_len:
                    break
                if valid(compact):
                    best = (match.start() + first.start(), match.start() + group.end())
            if best:
                spans.append(best)
    return spans


def _merged(spans: List[Span]) -> List[Span]:
    merged: List[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _replace(text: str, spans: List[Span], marker: str) -> str:
    for start, end in reversed(_merged(spans)):
        text = text[:start] + marker + text[end:]
    return text


def find_card_numbers(text: str) -> List[str]:
    """The substrings of ``text`` that look like real card numbers."""
    return [text[start:end] for start, end in _merged(_windows(text or "", _CARD_RUN, _card_like, 19))]


def contains_sensitive(text: str) -> bool:
    """Whether ``text`` holds a card number or an IBAN."""
    return bool(text) and redact(text) != text


def redact(text: str) -> str:
    """``text`` with every card number and IBAN replaced by a fixed marker."""
    if not text or not any(char.isdigit() for char in text):
        return text
    # IBANs first: their digits alone could pass the Luhn check and hide the rest.
    text = _replace(text, _windows(text, _IBAN_RUN, iban_valid, 34), REDACTED_IBAN)
    return _replace(text, _windows(text, _CARD_RUN, _card_like, 19), REDACTED_CARD)


def redact_data(value: Any) -> Any:
    """``value`` (JSON-like data: a message's metadata) with :func:`redact` applied to every
    string in it, keys included."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(key)): redact_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(item) for item in value]
    return value


# The names the rest of the code base used before IBANs were covered: the same function.
redact_card_numbers = redact
contains_card_number = contains_sensitive


# What leaves the process (LLM prompts, assistant/llm/) is masked further: besides cards and
# IBANs, e-mail addresses, phone numbers and street addresses. The channels keep using
# :func:`redact` alone, since flows need the e-mail a customer types to verify them.
REDACTED_EMAIL = "[REDACTED EMAIL]"
REDACTED_PHONE = "[REDACTED PHONE]"
REDACTED_ADDRESS = "[REDACTED ADDRESS]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# "+1 555 0101", "+44 20 7946 0103", "(555) 010-1234", "555-010-1234": a leading + and 7 or
# more digits, or 9 or more digits in groups; a bare order number (48213) is not one.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d\s().-]{5,}\d|\(?\d{2,4}\)?(?:[\s.-]\d{2,5}){2,4})(?!\w)")
_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    r"square|sq|terrace|close|crescent|highway|hwy|parkway|alley"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){{1,4}}(?:{_STREET_WORDS})\b\.?"
    r"|\b[A-Z][\w-]*(?:strasse|straße|weg|gasse|platz|allee)\s+\d{1,5}[a-z]?\b",
    re.IGNORECASE,
)


def _phone_like(match: re.Match) -> bool:
    digits = sum(char.isdigit() for char in match.group())
    return digits >= (7 if match.group().startswith("+") else 9) and digits <= 15


# The store's own published contacts (help-centre articles) are not personal data.
PUBLIC_CONTACTS = ("support@northwind.example", "+1 555 0100")


def redact_personal(text: str, public: Tuple[str, ...] = PUBLIC_CONTACTS) -> str:
    """``text`` with cards, IBANs, e-mail addresses, phone numbers and street addresses
    masked (the ``public`` contacts kept): what a prompt to an LLM may carry."""
    if not text:
        return text
    kept = {f"\x00{i}\x00": term for i, term in enumerate(public) if term in text}
    for marker, term in kept.items():
        text = text.replace(term, marker)
    text = _EMAIL.sub(REDACTED_EMAIL, redact(text))
    text = _ADDRESS.sub(REDACTED_ADDRESS, text)
    text = _PHONE.sub(lambda m: REDACTED_PHONE if _phone_like(m) else m.group(), text)
    for marker, term in kept.items():
        text = text.replace(marker, term)
    return text
