from __future__ import annotations

import pytest

from assistant.identifiers import normalise_email, normalise_plan, parse_order_id, parse_rating
from assistant.redaction import REDACTED_CARD, contains_card_number, redact_card_numbers


@pytest.mark.parametrize(
    "typed, expected",
    [("48213", 48213), ("#48213", 48213), ("ORD-48213", 48213), ("ord48213", 48213),
     ("order 1234567", 1234567), ("it's 87654321 thanks", 87654321), ("1234", None),
     ("123456789", None), ("", None), (None, None), ("12345 and 67890", None),
     ("1; DROP TABLE orders", None), ("😀😀", None)],
)  # fmt: skip
def test_order_numbers_are_parsed_from_what_customers_type(typed, expected) -> None:
    assert parse_order_id(typed) == expected


def test_emails_are_found_and_lower_cased() -> None:
    assert normalise_email("my email is Jane.Doe@Example.com.") == "jane.doe@example.com"
    assert normalise_email("not an email") is None
    assert normalise_email(["a@b.co", "jane@x.org"]) == "jane@x.org"


def test_plan_synonyms_map_to_the_three_plans() -> None:
    assert normalise_plan("the pro one") == "premium"
    assert normalise_plan("Business plan") == "enterprise"
    assert normalise_plan("starter") == "basic"
    assert normalise_plan("platinum") is None


@pytest.mark.parametrize(
    "typed, expected", [("5", 5), ("4 stars", 4), ("four", 4), ("6", None), ("great", None)]
)
def test_ratings_are_1_to_5(typed, expected) -> None:
    assert parse_rating(typed) == expected


def test_luhn_valid_card_numbers_are_redacted_but_order_numbers_are_not() -> None:
    text = "card 4111 1111 1111 1111 for order 48213"
    assert contains_card_number(text)
    assert redact_card_numbers(text) == f"card {REDACTED_CARD} for order 48213"
    assert not contains_card_number("4111 1111 1111 1112")  # fails the Luhn check
    assert redact_card_numbers("call +1 555 0101") == "call +1 555 0101"
