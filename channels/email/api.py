"""The seed API's e-mail endpoints (seed 001), on the channel's blueprint in the Rasa server,
where the listener and the turns run:

- ``POST /api/channels/email/listener/start`` and ``/stop`` (admins);
- ``POST /api/channels/email/process``: an e-mail injected by hand (agents, admins), handled
  exactly like one the listener fetched (stored by ``messageId``, judged, answered once);
- ``POST /api/channels/email/send``: an agent's e-mail, in a conversation's thread
  (``threadId``) or to a new address; sent through the outbox and SMTP.

Authenticated like the WhatsApp agent endpoint: a bearer JWT of an agent or admin issued by
the admin API (``WEBCHAT_JWT_SECRET``). Errors in the house envelope: 400, 401, 403, 502
``EMAIL_SEND_FAILED``, 503 ``CHANNEL_NOT_CONFIGURED``.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import BotUttered
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.redaction import redact
from channels import messages as msgs
from channels.auth import Identity, bearer_token, decode_token
from channels.config import WebChatConfig
from channels.email import inbox
from channels.email.listener import prepare
from channels.email.parse import html_to_text
from channels.email.runtime import Runtime
from channels.email.worker import db
from channels.envelope import BadRequest, InternalError, error_response, request_id_of
from channels.errors import AuthError, ChannelError, ForbiddenError

logger = logging.getLogger(__name__)
ADDRESS = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
THREAD = re.compile(r"^email:[0-9a-f]{32}$")
MAX_TEXT_CHARS = 20_000
SEND_WAIT_SECONDS = 10.0  # how long /send waits for the SMTP server's answer before "queued"
PROCESS_FIELDS = ("from", "subject", "text", "html", "threadId", "attachments", "messageId", "inReplyTo")
SEND_FIELDS = ("to", "subject", "text", "html", "replyTo", "threadId", "messageId")


class NotConfigured(ChannelError):
    code = "CHANNEL_NOT_CONFIGURED"
    http_status = 503


class SendFailed(ChannelError):
    code = "EMAIL_SEND_FAILED"
    http_status = 502


async def start_listener(request: Request, runtime: Runtime) -> HTTPResponse:
    return await _guarded(request, runtime, True, lambda _: _start(runtime))


async def stop_listener(request: Request, runtime: Runtime) -> HTTPResponse:
    return await _guarded(request, runtime, True, lambda _: _stop(runtime))


async def process(request: Request, runtime: Runtime) -> HTTPResponse:
    return await _guarded(request, runtime, False, lambda _: _process(request, runtime))


async def send(request: Request, runtime: Runtime) -> HTTPResponse:
    return await _guarded(request, runtime, False, lambda identity: _send(request, runtime, identity))


async def _guarded(request: Request, runtime: Runtime, admin: bool, handler: Any) -> HTTPResponse:
    request_id = request_id_of(request)
    try:
        identity = staff(request, admin)
        if admin and not runtime.configured:
            raise NotConfigured("The e-mail channel is not configured on this server (set EMAIL_IMAP_*)")
        body = await handler(identity)
    except ChannelError as error:
        return error_response(error, request_id)
    except Exception:
        logger.exception("E-mail: request %s failed", request_id)
        return error_response(InternalError("The request could not be completed"), request_id)
    return response.json(body, headers={"X-Request-Id": request_id})


def staff(request: Request, admin: bool) -> Identity:
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        raise AuthError("Authentication required", {"reason": "no bearer token"})
    identity = decode_token(token, WebChatConfig.from_credentials(None).jwt_secret)
    if not identity.is_agent or (admin and identity.role != "admin"):
        raise ForbiddenError(
            "Only admins can start or stop the listener" if admin else "Only agents and admins"
        )
    return identity


async def _start(runtime: Runtime) -> Dict[str, Any]:
    started = runtime.listener.start()
    return {"status": "started", "message": "Email listener has been started" if started
            else "Email listener was already running"}  # fmt: skip


async def _stop(runtime: Runtime) -> Dict[str, Any]:
    stopped = await runtime.listener.stop()
    return {"status": "stopped", "message": "Email listener has been stopped" if stopped
            else "Email listener was not running"}  # fmt: skip


async def _process(request: Request, runtime: Runtime) -> Dict[str, Any]:
    body = _body(request, PROCESS_FIELDS)
    sender = _address(body.get("from"), "from")
    raw = await _raw_email(runtime, body, sender)
    mail = prepare(raw)
    status = await runtime.worker.handle(mail)
    row = await db(inbox.last_of, runtime.store, mail.message_id)
    state = "processed" if status == inbox.ANSWERED else status
    return {"status": state, "messageId": mail.message_id, "conversationId": row.conversation_id if row else None,
            "reply": row.reply if row else None}  # fmt: skip


async def _raw_email(runtime: Runtime, body: Dict[str, Any], sender: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = (
        sender,
        runtime.worker.own_addresses[0] if runtime.worker.own_addresses else "",
    )
    message["Subject"] = _text(body.get("subject", ""), "subject", 250, required=False)
    message["Date"] = formatdate(usegmt=True)
    message_id = body.get("messageId")
    if message_id is not None:
        _check(isinstance(message_id, str) and 0 < len(message_id) <= 200 and "<" not in message_id
               and ">" not in message_id and " " not in message_id, "messageId", "messageId must be an id without <>")  # fmt: skip
        message["Message-ID"] = f"<{message_id}>"
    parent = await _parent(runtime, body)
    if parent:
        message["In-Reply-To"] = f"<{parent}>"
    text = _text(body.get("text", ""), "text", MAX_TEXT_CHARS, required=False)
    html = _text(body.get("html", ""), "html", MAX_TEXT_CHARS * 4, required=False)
    _check(
        bool(text.strip() or html.strip() or message["Subject"]), "text", "text, html or subject is required"
    )
    message.set_content(text or html_to_text(html) or " ")
    _attachments(message, body.get("attachments", []))
    return message.as_bytes()


async def _parent(runtime: Runtime, body: Dict[str, Any]) -> Optional[str]:
    """The message this one answers: ``inReplyTo``, or the last message of ``threadId``."""
    given = body.get("inReplyTo")
    if given is not None:
        _check(
            isinstance(given, str) and 0 < len(given) <= 200, "inReplyTo", "inReplyTo must be a Message-ID"
        )
        return given.strip("<>")
    thread = body.get("threadId")
    if thread is None:
        return None
    _check(
        isinstance(thread, str) and bool(THREAD.match(thread)), "threadId", "threadId must be email:<32 hex>"
    )
    last = await db(inbox.last_message, runtime.store, thread)
    return last.message_id if last is not None else None


def _attachments(message: EmailMessage, items: Any) -> None:
    """Attachments as the seed describes them (name, type, size): recorded, their bytes absent."""
    _check(
        isinstance(items, list) and len(items) <= 20,
        "attachments",
        "attachments must be a list of at most 20",
    )
    for item in items:
        _check(
            isinstance(item, dict) and isinstance(item.get("name"), str), "attachments", "each needs a name"
        )
        kind = (
            item.get("type")
            if isinstance(item.get("type"), str) and "/" in item["type"]
            else "application/octet-stream"
        )
        size = item.get("size") if isinstance(item.get("size"), int) and 0 <= item["size"] <= 10_000 else 0
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(b"\0" * size, maintype=maintype, subtype=subtype, filename=item["name"][:200])


async def _send(request: Request, runtime: Runtime, identity: Identity) -> Dict[str, Any]:
    body = _body(request, SEND_FIELDS)
    text = _text(body.get("text", ""), "text", MAX_TEXT_CHARS, required=False)
    html = _text(body.get("html", ""), "html", MAX_TEXT_CHARS * 4, required=False)
    text = redact(text.strip() or html_to_text(html))
    _check(bool(text), "text", "text or html is required")
    thread = body.get("threadId")
    if thread is not None:
        _check(
            isinstance(thread, str) and bool(THREAD.match(thread)),
            "threadId",
            "threadId must be email:<32 hex>",
        )
    to = _address(body["to"], "to") if body.get("to") is not None else None
    _check(bool(thread or to), "to", "to or threadId is required")
    subject = _text(body.get("subject", ""), "subject", 250, required=False) or None
    conversation = thread or _new_thread()
    reply_to = _address(body["replyTo"], "replyTo") if body.get("replyTo") is not None else None
    queued = await runtime.send(conversation, [text], f"agent:{identity.id}", to=to, subject=subject,
                                reply_address=reply_to)  # fmt: skip
    _check(queued is not None, "threadId", "the conversation has no e-mail address; give to")
    reply, outbound_id = queued  # type: ignore[misc]
    await _add_to_tracker(runtime, conversation, text, identity, reply.message_id)
    return await _delivered(runtime, reply.message_id, outbound_id, conversation)


async def post_conversation_message(request: Request, runtime: Runtime, conversation: str) -> HTTPResponse:
    """``POST /webhooks/email/conversations/<id>/messages`` with ``{"content": "..."}``: how the
    conversation model (assistant/conversations/delivery.py) sends an agent's reply, as to the
    web and WhatsApp channels; the same checks and sending as ``/send`` in the thread."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        body = None
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str) or not content.strip() or not THREAD.match(conversation):
        error = BadRequest("content must be non-empty text", {"field": "content", "reason": "missing"})
        return error_response(error, request_id_of(request))
    request.body = json.dumps({"threadId": conversation, "text": content}).encode()
    answer = await send(request, runtime)
    if answer.status != 200:
        return answer
    sent = json.loads(answer.body or b"{}")
    message = {"id": sent.get("messageId"), "conversation_id": conversation, "content": content,
               "status": sent.get("status"), "created_at": sent.get("timestamp")}  # fmt: skip
    return response.json({"success": True, "data": message}, status=201, headers=dict(answer.headers))


async def _add_to_tracker(
    runtime: Runtime, conversation: str, text: str, identity: Identity, message_id: str
) -> None:
    """The agent's message in the conversation's history (as the other channels keep them)."""
    agent = runtime.agent()
    if agent is None or not agent.is_ready():
        return
    metadata = {msgs.SENDER_KEY: identity.public(), "message_id": message_id}
    try:
        async with agent.lock_store.lock(conversation):
            tracker = await agent.processor.fetch_tracker_with_initial_session(conversation)  # type: ignore[union-attr]
            tracker.update(BotUttered(text, metadata=metadata))
            await agent.tracker_store.save(tracker)
    except Exception:  # queued and recorded in email_messages; only the tracker lacks it
        logger.warning(
            "E-mail: could not add an agent's message to %s's tracker", conversation, exc_info=True
        )


async def _delivered(
    runtime: Runtime, message_id: str, outbound_id: int, conversation: str
) -> Dict[str, Any]:
    """Sends the outbox now; "sent", "queued" (failed for now: retried) or 502 (refused)."""
    import asyncio

    from assistant import mailer

    await asyncio.to_thread(mailer.deliver_configured, runtime.store, runtime.settings)
    mail = await db(inbox.outbound_state, runtime.store, outbound_id)
    for _ in range(int(SEND_WAIT_SECONDS / 0.1)):  # the delivery loop may be sending it right now
        if mail is None or mail.sent_at or mail.failed_at or mail.last_error or not runtime.settings.smtp_url:
            break
        await asyncio.sleep(0.1)
        mail = await db(inbox.outbound_state, runtime.store, outbound_id)
    if mail is not None and mail.failed_at is not None:
        raise SendFailed(
            "The mail server refused the e-mail", {"error": mail.last_error, "messageId": message_id}
        )
    status = "sent" if mail is not None and mail.sent_at is not None else "queued"
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"status": status, "messageId": message_id, "timestamp": now, "conversationId": conversation}


def _new_thread() -> str:
    from channels.email.threading import new_conversation_id

    return new_conversation_id()


def _body(request: Request, fields: tuple) -> Dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, RecursionError) as error:
        raise BadRequest("The body must be JSON", {"field": "body", "reason": "invalid_json"}) from error
    _check(isinstance(body, dict), "body", "The body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    _check(not unknown, unknown[0] if unknown else "body", f"Unknown field {unknown[:1]}")
    return body


def _address(value: Any, field: str) -> str:
    _check(
        isinstance(value, str) and bool(ADDRESS.match(value.strip())),
        field,
        f"{field} must be an e-mail address",
    )
    return str(value).strip().lower()


def _text(value: Any, field: str, limit: int, required: bool = True) -> str:
    _check(isinstance(value, str), field, f"{field} must be text")
    _check(len(value) <= limit, field, f"{field} is longer than {limit} characters")
    _check(not required or bool(value.strip()), field, f"{field} must not be empty")
    _check(
        "\r" not in value and "\n" not in value if field == "subject" else True, field, "subject is one line"
    )
    return str(value)


def _check(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise BadRequest(message, {"field": field, "reason": "invalid"})


__all__: List[str] = ["start_listener", "stop_listener", "process", "send"]
