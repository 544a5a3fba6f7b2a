"""A WhatsApp conversation's id, and who the customer writing in it is.

The conversation id (Rasa's sender id) is ``whatsapp:<wa_id>``: Meta's ``wa_id`` is the number in
E.164 without its plus, and ``+`` is not in the sender alphabet of the other channels
(channels/rest_body.py). The identity comes from ``assistant.identity.links``: Meta has checked
that the sender holds the number, so a number matching a customer's phone on file is that
customer, verified; any other number is an anonymous customer (who can verify by code).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, Optional

from assistant.identity import links
from assistant.identity.claims import issue_claim
from assistant.identity.secret import identity_secret
from assistant.retry import retry_async
from assistant.settings import Settings
from assistant.store import Store

PREFIX = "whatsapp:"
WA_ID = re.compile(r"^[1-9]\d{5,14}$")  # E.164 digits: country code first, at most 15


def valid_wa_id(value: Any) -> bool:
    return isinstance(value, str) and bool(WA_ID.match(value))


def conversation_id(wa_id: str) -> str:
    return f"{PREFIX}{wa_id}"


def wa_id_of(conversation: str) -> Optional[str]:
    """The number of a WhatsApp conversation id, or None when it is not one."""
    if not conversation.startswith(PREFIX):
        return None
    wa_id = conversation[len(PREFIX) :]
    return wa_id if valid_wa_id(wa_id) else None


def wa_id_from_phone(value: Any) -> Optional[str]:
    """``15551234567`` for ``+1 555 123 4567``, ``15551234567`` or ``whatsapp:15551234567``."""
    if not isinstance(value, str):
        return None
    if value.startswith(PREFIX):
        return wa_id_of(value)
    normalised = links.normalise_phone(value) if re.fullmatch(r"[+\d\s().-]{6,30}", value) else None
    digits = normalised[1:] if normalised else None
    return digits if valid_wa_id(digits) else None


def identity_claim_sync(store: Store, settings: Settings, wa_id: str) -> Dict[str, Any]:
    """The signed claim of who writes from ``wa_id`` (a database read; run it off the loop)."""
    phone = f"+{wa_id}"
    state = links.resolve(store, links.WHATSAPP, phone, "platform")
    return issue_claim(identity_secret(settings), conversation_id(wa_id), links.WHATSAPP, state,
                       external_id=phone, method="platform", linkable=True)  # fmt: skip


async def identity_claim(store: Store, settings: Settings, wa_id: str) -> Dict[str, Any]:
    """``identity_claim_sync`` in a thread, retried on a lost database connection."""

    async def resolve() -> Dict[str, Any]:
        return await asyncio.to_thread(identity_claim_sync, store, settings, wa_id)

    return await retry_async(resolve)
