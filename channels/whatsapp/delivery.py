"""Sending an agent's (or the system's) message into a WhatsApp conversation.

``deliver_agent_message`` is the WhatsApp channel's "deliver an agent's message" function, for
the conversation model or the admin API to register::

    await deliver_agent_message("whatsapp:15551234567", "Your refund is on its way.",
                                agent_id="agent-7", message_id="desk-123")
    -> Delivery(status="sent", wamid="wamid....", record_id=42, ...)

It records the message in ``whatsapp_messages`` (``author`` ``agent:<id>``), sends it through the
Graph API with the channel's retries and pacing, and records the outcome; it never raises for a
delivery that failed: ``Delivery.status`` is ``sent``, ``failed`` (Meta's error in ``error``) or
``outside_window`` (the customer last wrote more than 24 hours ago: the re-engagement template
went instead when configured). A ``message_id`` makes a retry safe: the same id again returns
the first outcome (``replayed=True``) without sending twice. It works in any process with the
channel's settings and the database (it imports neither Rasa nor Sanic); ``DeliveryRefused``
means nothing was recorded (not a WhatsApp conversation, or the channel is not configured). Called on the Rasa server through
``POST /api/channels/whatsapp/messages``, the message is also added to the conversation's
tracker (channels/whatsapp/agent_api.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from assistant.redaction import redact
from assistant.settings import get_settings
from assistant.store import get_store
from channels.whatsapp import outbox
from channels.whatsapp.conversation import wa_id_of
from channels.whatsapp.dbcall import db
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.meta_errors import Remedy
from channels.whatsapp.outgoing import Draft, text_drafts
from channels.whatsapp.sender import Outcome, Sender

SENT, FAILED, OUTSIDE_WINDOW, PENDING = "sent", "failed", "outside_window", "pending"


class DeliveryRefused(ValueError):
    """Nothing was recorded or sent; ``reason``: ``not_whatsapp`` or ``not_configured``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    """What became of a message: ``wamid`` is Meta's id of it (of its first part, when long).
    ``status`` is ``pending`` only for a replayed id whose first request is still sending."""

    conversation_id: str
    status: str
    wamid: Optional[str] = None
    record_id: Optional[int] = None
    error: Optional[Dict[str, Any]] = None
    template_sent: bool = False
    replayed: bool = False


async def deliver_agent_message(conversation_id: str, text: str, *, agent_id: str,
                                message_id: Optional[str] = None) -> Delivery:  # fmt: skip
    """An agent's text to the customer of ``conversation_id`` (``whatsapp:<number>``); card
    numbers are masked first, as everywhere."""
    return await deliver(conversation_id, text_drafts(redact(text)), author=f"agent:{agent_id}",
                         message_id=message_id)  # fmt: skip


async def deliver(conversation_id: str, drafts: List[Draft], *, author: str,
                  message_id: Optional[str] = None, sender: Optional[Sender] = None) -> Delivery:  # fmt: skip
    """Records and sends ``drafts`` (see the module docstring); ``sender``: the Rasa server's,
    else one made for this call from the process's settings and store."""
    if wa_id_of(conversation_id) is None:
        raise DeliveryRefused("not_whatsapp", f"{conversation_id!r} is not a WhatsApp conversation")
    own = sender is None
    if sender is None:
        settings = get_settings().whatsapp
        sender = Sender(GraphClient(settings), get_store(), settings)
    if not sender.settings.configured:
        raise DeliveryRefused("not_configured", "The WhatsApp channel is not configured")
    try:
        return await _deliver(sender, conversation_id, drafts, author, message_id)
    finally:
        if own:
            await sender.client.close()


async def _deliver(sender: Sender, conversation_id: str, drafts: List[Draft], author: str,
                   message_id: Optional[str]) -> Delivery:  # fmt: skip
    store = sender.store
    previous = await db(outbox.by_client_id, store, message_id) if message_id else None
    if previous is None:
        try:
            works = await db(outbox.record, store, conversation_id, drafts, author, message_id)
        except sa.exc.IntegrityError:  # the same message id, a moment ago
            previous = await db(outbox.by_client_id, store, message_id)
    if previous is not None:
        return _replayed(previous)
    return summary(conversation_id, await sender.deliver(works))


def summary(conversation_id: str, outcomes: List[Outcome]) -> Delivery:
    """One outcome for the parts of a message: sent when every part was."""
    first = outcomes[0] if outcomes else None
    failed = next((o for o in outcomes if o.status != outbox.SENT), None)
    if first is None:
        return Delivery(conversation_id, FAILED, error={"code": None, "title": "Nothing to send"})
    if failed is None:
        return Delivery(conversation_id, SENT, wamid=first.wamid, record_id=first.record_id)
    template = failed.template is not None and failed.template.status == outbox.SENT
    status = OUTSIDE_WINDOW if failed.remedy is Remedy.REENGAGE else FAILED
    return Delivery(conversation_id, status, wamid=first.wamid, record_id=first.record_id,
                    error=failed.error, template_sent=template)  # fmt: skip


def _replayed(row: Dict[str, Any]) -> Delivery:
    failed = row["status"] == outbox.FAILED
    outside = failed and (row.get("error") or {}).get("code") == 131047
    status = (
        OUTSIDE_WINDOW if outside else FAILED if failed else PENDING if row["status"] == PENDING else SENT
    )
    return Delivery(row["conversation_id"], status, wamid=row["wamid"], record_id=row["id"],
                    error=row["error"] if failed else None, replayed=True)  # fmt: skip
