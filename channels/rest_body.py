"""The REST webhook's body: what it may hold, and the metadata handed to Rasa with it.

``{"sender": "...", "message": "...", "metadata": {...}, "message_id": "..."}``

- ``sender`` (required): the conversation id, 1-128 letters, digits or ``_ . : @ -``, starting
  with a letter or digit. There is no shared default conversation.
- ``message`` (required): text, at most ``REST_MAX_MESSAGE_CHARS``, not blank, no control
  characters other than tab and line breaks. Card numbers are masked before anything else.
- ``metadata`` (optional): a JSON object of at most ``REST_MAX_METADATA_BYTES`` as JSON. Keys
  starting with ``_`` or ``northwind_`` are the server's: a client's are dropped.
- ``message_id`` (optional): the client's id of this message, 1-128 of the characters of a
  sender plus ``= + /``. A message id already processed in the conversation is answered from
  what was stored, not processed again.

Anything else (another field, another type, invalid JSON) is refused with 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

from assistant.identity.claims import CLAIM_KEY, issue_claim
from assistant.identity.permissions import ANONYMOUS
from assistant.identity.secret import identity_secret
from assistant.redaction import redact_card_numbers, redact_data
from assistant.settings import Settings
from channels.envelope import BadRequest, PayloadTooLarge

SENDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@=+/-]{0,127}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FIELDS = ("sender", "message", "metadata", "message_id")
RESERVED_PREFIXES = ("_", "northwind_")


@dataclass(frozen=True)
class RestMessage:
    """A validated webhook body."""

    sender: str
    text: str
    metadata: Dict[str, Any]
    message_id: Optional[str]


def parse_body(raw: bytes, settings: Settings) -> RestMessage:
    """The message in ``raw``, or ``BadRequest``/``PayloadTooLarge`` saying what is wrong."""
    if len(raw) > settings.rest_max_body_bytes:
        raise PayloadTooLarge(f"The body is larger than {settings.rest_max_body_bytes} bytes")
    body = _json(raw)
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object", {"field": "body", "reason": "not_an_object"})
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadRequest(f"Unknown field {unknown[0]!r}; allowed: {', '.join(FIELDS)}",
                         {"field": unknown[0], "reason": "unknown_field"})  # fmt: skip
    return RestMessage(
        sender=_sender(body.get("sender")),
        text=_text(body.get("message"), settings.rest_max_message_chars),
        metadata=_metadata(body.get("metadata"), settings.rest_max_metadata_bytes),
        message_id=_message_id(body.get("message_id")),
    )


def build_metadata(
    client_metadata: Dict[str, Any], *, request_id: str, sender: str, settings: Settings
) -> Dict[str, Any]:
    """The metadata Rasa receives with a message, built here and nowhere else: the client's
    keys without the reserved ones (and with card numbers masked), then the server's own
    keys, which nothing a client sends can set or override: the request id, and the signed
    identity claim (the REST webhook authenticates no one: an anonymous customer, who proves
    who they are with a one-time code when a flow needs it)."""
    metadata = {key: value for key, value in client_metadata.items() if not is_reserved(key)}
    metadata = redact_data(metadata)
    metadata["northwind_request_id"] = request_id
    metadata[CLAIM_KEY] = issue_claim(identity_secret(settings), sender, "rest", ANONYMOUS)
    return metadata


def is_reserved(key: str) -> bool:
    return key.lower().startswith(RESERVED_PREFIXES)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise BadRequest(
            "The body must be valid JSON", {"field": "body", "reason": "invalid_json"}
        ) from error


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _sender(value: Any) -> str:
    if value is None:
        raise BadRequest("sender is required", {"field": "sender", "reason": "missing"})
    if not isinstance(value, str) or not SENDER.match(value):
        raise BadRequest("sender must be 1-128 letters, digits or _ . : @ -, starting with a letter or digit",
                         {"field": "sender", "reason": "invalid"})  # fmt: skip
    return value


def _text(value: Any, max_chars: int) -> str:
    if value is None:
        raise BadRequest("message is required", {"field": "message", "reason": "missing"})
    if not isinstance(value, str):
        raise BadRequest("message must be text", {"field": "message", "reason": "not_text"})
    if len(value) > max_chars:
        raise BadRequest(f"message is longer than {max_chars} characters",
                         {"field": "message", "reason": "too_long", "max_chars": max_chars})  # fmt: skip
    if CONTROL.search(value):
        raise BadRequest(
            "message contains control characters", {"field": "message", "reason": "control_characters"}
        )
    _check_encodable(value, "message")
    text = value.strip()
    if not text:
        raise BadRequest("message must not be blank", {"field": "message", "reason": "blank"})
    return redact_card_numbers(text)


def _metadata(value: Any, max_bytes: int) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("metadata must be a JSON object", {"field": "metadata", "reason": "not_an_object"})
    serialised = json.dumps(value, ensure_ascii=False)
    _check_encodable(serialised, "metadata")
    size = len(serialised.encode())
    if size > max_bytes:
        raise BadRequest(f"metadata is larger than {max_bytes} bytes",
                         {"field": "metadata", "reason": "too_large", "max_bytes": max_bytes})  # fmt: skip
    return value


def _check_encodable(text: str, field: str) -> None:
    """Refuses unpaired surrogates (valid in JSON escapes, not in UTF-8 or the database)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BadRequest(
            f"{field} is not valid Unicode", {"field": field, "reason": "invalid_unicode"}
        ) from error


def _message_id(value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not MESSAGE_ID.match(value):
        raise BadRequest("message_id must be 1-128 letters, digits or _ . : @ = + / -",
                         {"field": "message_id", "reason": "invalid"})  # fmt: skip
    return value
