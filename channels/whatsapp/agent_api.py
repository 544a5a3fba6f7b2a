"""``POST /api/channels/whatsapp/messages`` (seed 001): an agent or the system sends a message.

Authenticated with an agent's or admin's bearer JWT (``channels.auth``, the web channel's
``WEBCHAT_JWT_SECRET``). The body::

    {"to": "+15551234567",                  # or "conversation_id": "whatsapp:15551234567"
     "type": "text",                        # text (default), template, image or document
     "text": "Your order #12345 has been shipped!",
     "template": {"name": "...", "language": "en_US", "components": [...]},
     "image": {"link": "https://...", "caption": "..."},   "document": {"link": ..., "filename": ...},
     "messageId": "msg-1234567890"}         # optional: the same id again is answered, not resent

200 ``{"status": "sent", "messageId": "<wamid>", "timestamp": ..., "conversationId": ...,
"recordId": ...}``; errors in the house envelope: 400 (body), 401/403 (token), 409
``OUTSIDE_SERVICE_WINDOW`` (the customer last wrote over 24 hours ago; ``details.template_sent``),
502 ``WHATSAPP_SEND_FAILED`` (Meta's error in ``details``), 503 ``CHANNEL_NOT_CONFIGURED``.
A text that went out is also added to the conversation's tracker as the agent's message.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, cast

from rasa.shared.core.events import BotUttered
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.redaction import redact
from channels import messages as msgs
from channels.auth import Identity, bearer_token, decode_token
from channels.config import WebChatConfig
from channels.envelope import BadRequest, InternalError, error_response, request_id_of
from channels.errors import AuthError, ChannelError, ForbiddenError
from channels.rest_body import MESSAGE_ID
from channels.whatsapp.conversation import conversation_id, wa_id_from_phone
from channels.whatsapp.delivery import SENT, Delivery, DeliveryRefused, deliver
from channels.whatsapp.outgoing import Draft, template_draft, text_drafts
from channels.whatsapp.runtime import Runtime
from channels.whatsapp.webhook import not_configured
from channels.whatsapp.wire import GraphMessage

logger = logging.getLogger(__name__)
FIELDS = ("to", "conversation_id", "type", "text", "template", "image", "document", "messageId")
MAX_TEXT_CHARS = 20_000
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")


class SendFailed(ChannelError):
    code = "WHATSAPP_SEND_FAILED"
    http_status = 502


class OutsideWindow(ChannelError):
    code = "OUTSIDE_SERVICE_WINDOW"
    http_status = 409


@dataclass(frozen=True)
class AgentMessage:
    conversation_id: str
    drafts: List[Draft]
    text: Optional[str]
    message_id: Optional[str]


async def post_message(request: Request, runtime: Runtime, raw: Optional[bytes] = None) -> HTTPResponse:
    """``POST /api/channels/whatsapp/messages`` (seed 001), or ``raw`` as its body."""
    request_id = request_id_of(request)
    try:
        identity = _agent(request)
        message = parse_message(
            raw if raw is not None else request.body or b"", runtime.settings.whatsapp.template_language
        )
        delivery = await deliver(message.conversation_id, message.drafts, author=f"agent:{identity.id}",
                                 message_id=message.message_id, sender=runtime.sender)  # fmt: skip
        _check(delivery)
    except DeliveryRefused as refused:
        error = not_configured() if refused.reason == "not_configured" else BadRequest(str(refused))
        return error_response(error, request_id)
    except ChannelError as error:
        return error_response(error, request_id)
    except Exception:
        logger.exception("WhatsApp: sending an agent's message failed (request %s)", request_id)
        return error_response(InternalError("The message could not be sent"), request_id)
    if message.text and not delivery.replayed:
        await _add_to_tracker(runtime, delivery, message.text, identity)
    return _sent(delivery, request_id)


async def post_conversation_message(request: Request, runtime: Runtime, conversation: str) -> HTTPResponse:
    """``POST /webhooks/whatsapp/conversations/<id>/messages`` with ``{"content": "..."}``: how the
    conversation model (assistant/conversations/delivery.py) sends an agent's reply, as it does
    to the web channel; the same checks and sending as ``post_message``."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        body = None
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str) or not content.strip():
        error = BadRequest("content must be non-empty text", {"field": "content", "reason": "missing"})
        return error_response(error, request_id_of(request))
    seed_body = {"conversation_id": conversation, "type": "text", "text": content}
    answer = await post_message(request, runtime, json.dumps(seed_body).encode())
    if answer.status != 200:
        return answer
    sent = json.loads(answer.body or b"{}")
    message = {"id": sent.get("messageId"), "conversation_id": sent.get("conversationId"), "content": content,
               "status": sent.get("status"), "created_at": sent.get("timestamp")}  # fmt: skip
    return response.json({"success": True, "data": message}, status=201, headers=dict(answer.headers))


def _agent(request: Request) -> Identity:
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        raise AuthError("Authentication required", {"reason": "no bearer token"})
    identity = decode_token(token, WebChatConfig.from_credentials(None).jwt_secret)
    if not identity.is_agent:
        raise ForbiddenError("Only agents and admins can send WhatsApp messages")
    return identity


def parse_message(raw: bytes, language: str) -> AgentMessage:
    """The body (module docstring) as drafts to send, or ``BadRequest`` saying what is wrong."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise BadRequest("The body must be JSON", {"field": "body", "reason": "invalid_json"}) from error
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object", {"field": "body", "reason": "not_an_object"})
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise _invalid(unknown[0], "unknown_field", f"Unknown field {unknown[0]!r}")
    kind = body.get("type", "text")
    if kind not in ("text", "template", "image", "document"):
        raise _invalid("type", "invalid", "type must be text, template, image or document")
    message_id = body.get("messageId")
    if message_id is not None and (not isinstance(message_id, str) or not MESSAGE_ID.match(message_id)):
        raise _invalid("messageId", "invalid", "messageId must be 1-128 letters, digits or _ . : @ = + / -")
    text = _text(body.get("text")) if kind == "text" else None
    drafts = text_drafts(text) if text else [_draft(kind, body.get(kind), language)]
    return AgentMessage(_conversation(body), drafts, text, message_id)


def _conversation(body: Dict[str, Any]) -> str:
    to, given = body.get("to"), body.get("conversation_id")
    wa_id = wa_id_from_phone(to if to is not None else given)
    if wa_id is None or (to is not None and given is not None and wa_id_from_phone(given) != wa_id):
        raise _invalid(
            "to", "invalid", "to must be a phone number in E.164 (or conversation_id whatsapp:<digits>)"
        )
    return conversation_id(wa_id)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid("text", "missing", "text must be non-empty text")
    if len(value) > MAX_TEXT_CHARS:
        raise _invalid("text", "too_long", f"text is longer than {MAX_TEXT_CHARS} characters")
    return redact(value.strip())


def _draft(kind: str, value: Any, language: str) -> Draft:
    if not isinstance(value, dict):
        raise _invalid(kind, "missing", f"{kind} must be an object")
    if kind == "template":
        name, components = value.get("name"), value.get("components")
        if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
            raise _invalid("template", "invalid", "template.name must be a template's name")
        if components is not None and not isinstance(components, list):
            raise _invalid("template", "invalid", "template.components must be a list")
        lang = value.get("language")
        return template_draft(name, lang if isinstance(lang, str) else language, components)
    link = value.get("link")
    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        raise _invalid(kind, "invalid", f"{kind}.link must be an http(s) URL")
    media: Dict[str, str] = {"link": link}
    for key in ("caption", "filename"):
        if isinstance(value.get(key), str):
            media[key] = redact(value[key])[:1024]
    return Draft(kind, cast(GraphMessage, {"type": kind, kind: media}), media.get("caption") or link)


def _invalid(field: str, reason: str, message: str) -> BadRequest:
    return BadRequest(message, {"field": field, "reason": reason})


def _check(delivery: Delivery) -> None:
    details = {"record_id": delivery.record_id, "meta_error": delivery.error}
    if delivery.status == "outside_window":
        raise OutsideWindow("The customer last wrote more than 24 hours ago: free text cannot be sent",
                            {**details, "template_sent": delivery.template_sent})  # fmt: skip
    if delivery.status not in (SENT, "pending"):
        raise SendFailed("WhatsApp did not accept the message", details)


def _sent(delivery: Delivery, request_id: str) -> HTTPResponse:
    body = {"status": delivery.status, "messageId": delivery.wamid,
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "conversationId": delivery.conversation_id, "recordId": delivery.record_id}  # fmt: skip
    headers = {"X-Request-Id": request_id}
    if delivery.replayed:
        headers["X-Replayed"] = "true"
    return response.json(body, headers=headers)


async def _add_to_tracker(runtime: Runtime, delivery: Delivery, text: str, identity: Identity) -> None:
    """The agent's message in the conversation's history (as the web channel keeps them)."""
    agent = runtime.agent()
    if agent is None or not agent.is_ready():
        return
    metadata = {msgs.SENDER_KEY: identity.public(), "message_id": delivery.wamid}
    try:
        async with agent.lock_store.lock(delivery.conversation_id):
            tracker = await agent.processor.fetch_tracker_with_initial_session(delivery.conversation_id)  # type: ignore[union-attr]
            tracker.update(BotUttered(text, metadata=metadata))
            await agent.tracker_store.save(tracker)
    except Exception:  # sent and recorded in whatsapp_messages; only the tracker lacks it
        logger.warning("WhatsApp: could not add an agent's message to %s's tracker",
                       delivery.conversation_id, exc_info=True)  # fmt: skip
