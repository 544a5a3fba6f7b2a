"""What an LLM prompt may carry: e-mails, phone numbers and street addresses masked too."""

from __future__ import annotations

import pytest

from assistant.redaction import redact, redact_personal


@pytest.mark.parametrize("text, masked", [
    ("write to jane.doe@example.com please", "write to [REDACTED EMAIL] please"),
    ("call +1 555 0101 or +44 20 7946 0103", "call [REDACTED PHONE] or [REDACTED PHONE]"),
    ("my number is (555) 010-1234", "my number is [REDACTED PHONE]"),
    ("send it to 12 Market Street, Springfield", "send it to [REDACTED ADDRESS], Springfield"),
    ("221B Baker Street, London", "[REDACTED ADDRESS], London"),
    ("Friedrichstrasse 43, Berlin", "[REDACTED ADDRESS], Berlin"),
    ("card 4111 1111 1111 1111", "card [REDACTED CARD]"),
])  # fmt: skip
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert redact_personal(text) == masked


@pytest.mark.parametrize("text", [
    "where is order 48213 or ORD-87654321?",
    "standard shipping is $5.99, free over $50, 3-5 business days",
    "tracking 1Z999AA10123456784, 2-year warranty, 30 days",
    "email support@northwind.example or call +1 555 0100",  # the store's own contacts
])  # fmt: skip
def test_order_numbers_prices_and_public_contacts_stay(text: str) -> None:
    assert redact_personal(text) == text


def test_the_channels_redaction_still_leaves_e_mails_for_verification() -> None:
    assert redact("it's jane.doe@example.com") == "it's jane.doe@example.com"
