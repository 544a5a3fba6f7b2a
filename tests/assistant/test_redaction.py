"""Card numbers and IBANs are masked however they are written; other numbers are left alone."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.redaction import (
    REDACTED_CARD,
    REDACTED_IBAN,
    contains_sensitive,
    iban_valid,
    luhn_valid,
    redact,
)

SEPARATORS = st.sampled_from(["", " ", "  ", "-", "--", " - ", ".", "/", "\t", " . ", "\u00a0", "_", "\n"])
WORDS = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=30)


def with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable")


@st.composite
def card_numbers(draw) -> str:
    """A Luhn-valid number of 13-19 digits (Visa, Mastercard, Amex ... prefixes or any)."""
    length = draw(st.integers(min_value=13, max_value=19))
    prefix = draw(st.sampled_from(["4", "51", "55", "34", "37", "6011", "35", ""]))
    body = prefix + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=length - 1 - len(prefix),
                                          max_size=length - 1 - len(prefix))))  # fmt: skip
    return with_check_digit(body)


@st.composite
def written(draw, digits: str) -> str:
    """``digits`` as a person might type them: groups of 1-6 with any separators."""
    out, index = "", 0
    while index < len(digits):
        size = draw(st.integers(min_value=1, max_value=6))
        out += digits[index : index + size]
        index += size
        if index < len(digits):
            out += draw(SEPARATORS)
    return out


def only_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), before=WORDS, after=WORDS)
def test_a_card_number_with_any_separators_never_survives(data, before: str, after: str) -> None:
    card = data.draw(card_numbers())
    typed = data.draw(written(card))
    text = f"{before} {typed} {after}"
    masked = redact(text)
    assert card not in only_digits(masked)
    assert REDACTED_CARD in masked and contains_sensitive(text)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_card_typed_right_after_an_order_number_is_still_masked(data) -> None:
    card = data.draw(card_numbers())
    text = f"order 48213 {data.draw(written(card))} thanks"
    assert card not in only_digits(redact(text))


def iban(country: str, bban: str) -> str:
    for check in range(100):
        candidate = f"{country}{check:02d}{bban}"
        if iban_valid(candidate):
            return candidate
    raise AssertionError("unreachable")


@settings(max_examples=200, deadline=None)
@given(
    country=st.sampled_from(["DE", "GB", "FR", "NL", "ES", "IT", "BE"]),
    bban=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=11, max_size=30),
    spaced=st.booleans(),
)
def test_an_iban_with_or_without_spaces_never_survives(country: str, bban: str, spaced: bool) -> None:
    value = iban(country, bban)
    typed = " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if spaced else value
    masked = redact(f"please refund to {typed} thanks")
    assert value not in masked.replace(" ", "") and REDACTED_IBAN in masked


def test_real_world_examples_are_masked() -> None:
    assert redact("card 4111 1111 1111 1111 exp 12/27") == f"card {REDACTED_CARD} exp 12/27"
    assert redact("5555-5555-5555-4444") == REDACTED_CARD
    assert redact("amex 3782 822463 10005.") == f"amex {REDACTED_CARD}."
    assert redact("IBAN: DE89 3704 0044 0532 0130 00") == f"IBAN: {REDACTED_IBAN}"
    assert redact("GB82WEST12345698765432") == REDACTED_IBAN


def test_order_numbers_phones_dates_and_tracking_numbers_are_left_alone() -> None:
    for text in ["order 48213", "ORD-87654321", "call +1 555 0101", "+44 20 7946 0103", "on 2026-11-26",
                 "tracking 1Z999AA10123456784", "9400111899223344556677", "4111 1111 1111 1112",
                 "code 123456", "GB82 WEST 1234 5698 7654 33"]:  # fmt: skip
        assert redact(text) == text, text
