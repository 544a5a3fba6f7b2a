"""The REST webhook's body rules and the metadata handed to Rasa (no server needed)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.settings import Settings
from channels.envelope import BadRequest, PayloadTooLarge
from channels.rest_body import FIELDS, RestMessage, build_metadata, is_reserved, parse_body

SETTINGS = Settings(rest_max_message_chars=100, rest_max_metadata_bytes=200, rest_max_body_bytes=2000)


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_well_formed_body_becomes_a_message() -> None:
    parsed = parse_body(
        body(sender="cust-1", message=" hi ", metadata={"page": "/help"}, message_id="m-1"), SETTINGS
    )
    assert parsed == RestMessage("cust-1", "hi", {"page": "/help"}, "m-1")


@pytest.mark.parametrize(
    "raw, field, reason",
    [(b"", "body", "invalid_json"), (b"null", "body", "not_an_object"), (b"[]", "body", "not_an_object"),
     (b"{bad", "body", "invalid_json"), (b"\xff\xfe", "body", "invalid_json"),
     (b'{"sender": "a", "message": NaN}', "body", "invalid_json"),
     (body(message="hi"), "sender", "missing"), (body(sender="a"), "message", "missing"),
     (body(sender="a", message=5), "message", "not_text"), (body(sender="a", message={"t": 1}), "message", "not_text"),
     (body(sender="a", message="   "), "message", "blank"), (body(sender="a", message="x" * 101), "message", "too_long"),
     (body(sender="a", message="a\x00b"), "message", "control_characters"),
     (b'{"sender": "a", "message": "\\ud800"}', "message", "invalid_unicode"),
     (body(sender="a", message="hi", metadata=[]), "metadata", "not_an_object"),
     (body(sender="a", message="hi", metadata="x"), "metadata", "not_an_object"),
     (body(sender="a", message="hi", metadata={"k": "v" * 300}), "metadata", "too_large"),
     (body(sender="a" * 129, message="hi"), "sender", "invalid"), (body(sender="", message="hi"), "sender", "invalid"),
     (body(sender="a b", message="hi"), "sender", "invalid"), (body(sender="-a", message="hi"), "sender", "invalid"),
     (body(sender=7, message="hi"), "sender", "invalid"), (body(sender="a", message="hi", message_id=""), "message_id", "invalid"),
     (body(sender="a", message="hi", message_id=3), "message_id", "invalid"),
     (body(sender="a", message="hi", input_channel="x"), "input_channel", "unknown_field")],
)  # fmt: skip
def test_a_malformed_body_is_refused_naming_the_field(raw: bytes, field: str, reason: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_body(raw, SETTINGS)
    assert refused.value.http_status == 400
    assert refused.value.details["field"] == field and refused.value.details["reason"] == reason


def test_a_body_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_body(b"{" + b" " * 3000 + b"}", SETTINGS)


def test_card_numbers_are_masked_as_the_message_comes_in() -> None:
    parsed = parse_body(body(sender="a", message="my card is 4111 1111 1111 1111"), SETTINGS)
    assert parsed.text == "my card is [REDACTED CARD]"


def test_client_metadata_cannot_set_the_servers_keys() -> None:
    client = {"page": "/help", "_identity": "forged", "northwind_identity": "forged", "Northwind_role": "admin",
              "note": "card 4111-1111-1111-1111"}  # fmt: skip
    metadata = build_metadata(client, request_id="r-1", sender="s-1", settings=SETTINGS)
    claim = metadata.pop("northwind_identity")
    assert metadata == {"page": "/help", "note": "card [REDACTED CARD]", "northwind_request_id": "r-1"}
    assert claim["level"] == "anonymous" and claim["conversation_id"] == "s-1" and claim["sig"]
    forged = build_metadata(
        {"northwind_request_id": "forged"}, request_id="r-2", sender="s-1", settings=SETTINGS
    )
    assert forged["northwind_request_id"] == "r-2"
    assert is_reserved("_x") and is_reserved("NORTHWIND_x") and not is_reserved("northwind")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.one_of(bodies.map(lambda b: json.dumps(b).encode()), json_values.map(lambda v: json.dumps(v).encode()),
                 st.binary(max_size=50)))  # fmt: skip
def test_any_body_is_either_a_valid_message_or_a_refusal(raw: bytes) -> None:
    try:
        parsed = parse_body(raw, SETTINGS)
    except (BadRequest, PayloadTooLarge):
        return
    assert parsed.text.strip() == parsed.text and 0 < len(parsed.text) <= 100
    assert 0 < len(parsed.sender) <= 128 and isinstance(parsed.metadata, dict)
