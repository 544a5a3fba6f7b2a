"""A webhook body as the customer messages and delivery statuses it holds.

Meta batches changes: entries, each with changes, each holding messages (with the sender's
contact) or statuses. Everything here is checked, since a signed body is still only JSON: a
part that is not what Meta documents is skipped (and counted), never trusted. Card numbers and
IBANs in what customers wrote (texts, captions, titles, locations, contact cards) are masked
here, at the channel's entry, before anything is stored or handed on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from assistant.redaction import redact
from channels.whatsapp.conversation import conversation_id, valid_wa_id

WEBHOOK_OBJECT = "whatsapp_business_account"
WAMID = re.compile(r"^[A-Za-z0-9._=+/:-]{1,255}$")
STATUSES = ("sent", "delivered", "read", "failed")
# Fields that are ids or hashes, never customer text: left as they are (a media id can be a
# 16-digit number that passes the Luhn check).
UNMASKED = frozenset({"id", "from", "timestamp", "sha256", "mime_type", "message_id", "wa_id", "voice",
                      "animated", "type", "latitude", "longitude"})  # fmt: skip


class NotAWebhook(ValueError):
    """The body is not a WhatsApp Business Account notification."""


@dataclass(frozen=True)
class Inbound:
    """One customer message, masked."""

    wamid: str
    wa_id: str
    kind: str
    message: Dict[str, Any]
    profile_name: Optional[str] = None
    sent_at: Optional[datetime] = None

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.wa_id)


@dataclass(frozen=True)
class StatusReport:
    """What became of one of our messages."""

    wamid: str
    status: str
    wa_id: str
    occurred_at: Optional[datetime] = None
    error: Optional[Dict[str, Any]] = None

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.wa_id)


@dataclass
class Notification:
    """Everything a webhook call brought, in the order Meta listed it."""

    messages: List[Inbound] = field(default_factory=list)
    statuses: List[StatusReport] = field(default_factory=list)
    skipped: int = 0  # parts that were malformed or for another business number


def parse_body(raw: bytes) -> Any:
    """The JSON of ``raw``; ``NotAWebhook`` when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise NotAWebhook("the body is not JSON") from error


def read_notification(body: Any, phone_number_id: str) -> Notification:
    """The messages and statuses for our number in a webhook body.

    Raises ``NotAWebhook`` unless the body is a WhatsApp Business Account notification; other
    change fields (template and account updates) and other numbers' changes are skipped."""
    if not isinstance(body, dict) or body.get("object") != WEBHOOK_OBJECT:
        raise NotAWebhook("the body is not a WhatsApp Business Account notification")
    notification = Notification()
    for entry in _dicts(body.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                notification.skipped += 1
                continue
            metadata = value.get("metadata")
            if not isinstance(metadata, dict) or metadata.get("phone_number_id") != phone_number_id:
                notification.skipped += 1
                continue
            _read_value(value, notification)
    return notification


def _read_value(value: Dict[str, Any], notification: Notification) -> None:
    contacts = _dicts(value.get("contacts"))
    names = {c["wa_id"]: _profile_name(c) for c in contacts if isinstance(c.get("wa_id"), str)}
    for message in _dicts(value.get("messages")):
        inbound = _inbound(message, names)
        if inbound is None:
            notification.skipped += 1
        else:
            notification.messages.append(inbound)
    for status in _dicts(value.get("statuses")):
        report = _status(status)
        if report is None:
            notification.skipped += 1
        else:
            notification.statuses.append(report)


def _inbound(message: Dict[str, Any], names: Dict[Any, Optional[str]]) -> Optional[Inbound]:
    wamid, wa_id, kind = message.get("id"), message.get("from"), message.get("type")
    if not isinstance(wamid, str) or not WAMID.match(wamid) or not valid_wa_id(wa_id):
        return None
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z_]{1,20}", kind):
        kind = "unsupported"
    return Inbound(wamid=wamid, wa_id=str(wa_id), kind=kind, message=masked(message),
                   profile_name=names.get(wa_id), sent_at=_time(message.get("timestamp")))  # fmt: skip


def _status(status: Dict[str, Any]) -> Optional[StatusReport]:
    wamid, state, wa_id = status.get("id"), status.get("status"), status.get("recipient_id")
    if not isinstance(wamid, str) or not WAMID.match(wamid) or state not in STATUSES:
        return None
    if not valid_wa_id(wa_id):
        return None
    errors = [e for e in _dicts(status.get("errors"))]
    return StatusReport(wamid=wamid, status=str(state), wa_id=str(wa_id),
                        occurred_at=_time(status.get("timestamp")),
                        error=error_of(errors[0]) if errors else None)  # fmt: skip


def error_of(error: Dict[str, Any]) -> Dict[str, Any]:
    """Meta's error object as we store it: code, title and details."""
    data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
    code = error.get("code")
    return {
        "code": code if isinstance(code, int) and not isinstance(code, bool) else None,
        "title": str(error.get("title") or error.get("message") or "")[:255],
        "details": str((data or {}).get("details") or "")[:500],
    }


def masked(value: Any, key: str = "") -> Any:
    """``value`` with card numbers and IBANs masked in every string a customer wrote (and
    without what no database column can hold: NUL characters, unpaired surrogates)."""
    if isinstance(value, str):
        return storable(value) if key in UNMASKED else redact(storable(value))
    if key in UNMASKED:
        return value
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item, key) for item in value]
    return value


def storable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _profile_name(contact: Dict[str, Any]) -> Optional[str]:
    profile = contact.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return redact(storable(name))[:255] if isinstance(name, str) and name.strip() else None


def _time(value: Any) -> Optional[datetime]:
    """Meta's timestamps are Unix seconds as a string."""
    try:
        seconds = int(str(value))
        return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dicts(value: Any) -> List[Dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
