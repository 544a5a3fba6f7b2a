"""The webhook Meta calls: ``GET`` to verify it, ``POST`` with notifications.

- ``GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...``: the challenge (200) when the
  token is ours, else 403.
- ``POST``: 401 without ``X-Hub-Signature-256``, 403 with a wrong one (nothing is read); 413 for a
  body over ``WHATSAPP_MAX_BODY_BYTES``; 400 for a body that is not a WhatsApp Business Account
  notification. Otherwise its messages and statuses are committed to the inbox first and the
  answer is 200 ``{"status": "received"}`` at once, while the turns run in the background; a
  message seen before is not processed again. When the inbox cannot be written (the database
  stayed away past the retries) the answer is 503: Meta delivers the notification again later,
  so nothing is lost.
- Without the channel's secrets, both answer 503 ``CHANNEL_NOT_CONFIGURED``.
"""

from __future__ import annotations

import logging
from typing import Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.retry import is_transient
from channels.envelope import (
    BadRequest,
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
    error_response,
    request_id_of,
)
from channels.errors import AuthError, ChannelError, ForbiddenError
from channels.whatsapp import inbox
from channels.whatsapp.dbcall import db
from channels.whatsapp.inbound import NotAWebhook, parse_body, read_notification
from channels.whatsapp.runtime import Runtime
from channels.whatsapp.signature import challenge_answer, signature_ok

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Hub-Signature-256"


class NotConfigured(ChannelError):
    code = "CHANNEL_NOT_CONFIGURED"
    http_status = 503


def not_configured() -> NotConfigured:
    return NotConfigured("The WhatsApp channel is not configured on this server (set the WHATSAPP_* "
                         "environment variables)")  # fmt: skip


async def verify(request: Request, runtime: Runtime) -> HTTPResponse:
    """Meta's verification handshake."""
    request_id, token = request_id_of(request), runtime.settings.whatsapp.verify_token
    if not token:
        return error_response(not_configured(), request_id)
    args = {
        key: str(request.args.get(key) or "") for key in ("hub.mode", "hub.verify_token", "hub.challenge")
    }
    challenge = challenge_answer(token, args)
    if challenge is None:
        return error_response(ForbiddenError("Verification failed"), request_id)
    return response.text(challenge)


async def receive(request: Request, runtime: Runtime) -> HTTPResponse:
    """A signed notification: stored, answered, then worked on in the background."""
    request_id = request_id_of(request)
    try:
        stored = await store_signed(request.body or b"", request.headers.get(SIGNATURE_HEADER), runtime)
    except ChannelError as error:
        return error_response(error, request_id)
    runtime.worker.start(stored.new)
    runtime.worker.reengage(stored.outside_window)
    return response.json({"status": "received"}, headers={"X-Request-Id": request_id})


async def store_signed(raw: bytes, signature: Optional[str], runtime: Runtime) -> inbox.Stored:
    """Checks and stores a notification; a ``ChannelError`` says why it was refused."""
    config = runtime.settings.whatsapp
    if not config.configured:
        raise not_configured()
    if len(raw) > config.max_body_bytes:
        raise PayloadTooLarge(f"The body is larger than {config.max_body_bytes} bytes")
    if not signature:
        raise AuthError(f"{SIGNATURE_HEADER} is missing", {"reason": "unsigned"})
    if not signature_ok(config.app_secret or "", raw, signature):
        raise ForbiddenError(f"{SIGNATURE_HEADER} does not match the body", {"reason": "bad_signature"})
    try:
        notification = read_notification(parse_body(raw), config.phone_number_id or "")
    except (NotAWebhook, RecursionError) as error:
        raise BadRequest(str(error), {"field": "body", "reason": "not_a_notification"}) from error
    except Exception as error:  # a bug in reading it: answered with the envelope, logged
        logger.exception("WhatsApp: could not read a signed notification")
        raise InternalError("The notification could not be read") from error
    try:
        return await db(inbox.store_notification, runtime.store, notification)
    except Exception as error:  # not stored: Meta must deliver it again
        if not is_transient(error):
            logger.exception("WhatsApp: could not store a notification")
            raise InternalError("The notification could not be stored") from error
        logger.warning("WhatsApp: could not store a notification, answering 503: %r", error)
        retry_after = runtime.settings.retry_after_seconds
        raise ServiceUnavailable("The notification could not be stored; deliver it again", retry_after,
                                 {"reason": "store_unavailable"}) from error  # fmt: skip
