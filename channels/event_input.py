"""Checks of what socket.io clients send: conversation ids, message ids, fields, metadata."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from channels import messages as msgs
from channels.errors import ValidationError
from channels.rest_body import MESSAGE_ID


def valid_conversation_id(value: Any) -> str:
    if not isinstance(value, str) or not msgs.CONVERSATION_ID.match(value):
        raise ValidationError(
            "conversation_id must be 1-128 letters, digits or . _ : @ -", {"field": "conversation_id"}
        )
    return value


def message_id_of(data: Dict[str, Any]) -> Optional[str]:
    """The client's id of a message (``message_id``), checked like the REST webhook's."""
    value = data.get("message_id")
    if value is None:
        return None
    if not isinstance(value, str) or not MESSAGE_ID.match(value):
        raise ValidationError(
            "message_id must be 1-128 letters, digits or _ . : @ = + / -", {"field": "message_id"}
        )
    return value


def required_field(data: Any, name: str) -> Any:
    if not isinstance(data, dict):
        raise ValidationError(f"Expected an object with {name}", {"field": name})
    return data.get(name)


def json_object(text: str) -> Dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationError("metadata must be a JSON object", {"field": "metadata"}) from exc
    if not isinstance(value, dict):
        raise ValidationError("metadata must be a JSON object", {"field": "metadata"})
    return value
