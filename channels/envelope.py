"""The error envelope of our HTTP endpoints, and the typed errors that map to it.

Every refusal or failure is answered as::

    {"success": false,
     "error": {"code": "...", "message": "...", "details": {...}},
     "meta": {"timestamp": "2026-11-26T09:00:00Z", "request_id": "..."}}

with the error's HTTP status, an ``X-Request-Id`` header (the client's, when it sent a usable
one) and, for a temporary failure, ``Retry-After`` in seconds.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.errors import ChannelError

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class BadRequest(ChannelError):
    """A body the webhook cannot take: nothing of it was processed or stored."""

    code = "VALIDATION_ERROR"
    http_status = 400


class PayloadTooLarge(ChannelError):
    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class ServiceUnavailable(ChannelError):
    """The turn could not complete now (a dependency is down, or it took too long); nothing
    of it was stored, and the same request can be sent again after ``retry_after`` seconds."""

    code = "SERVICE_UNAVAILABLE"
    http_status = 503

    def __init__(self, message: str, retry_after: int, details: Optional[Dict[str, Any]] = None,
                 code: Optional[str] = None) -> None:  # fmt: skip
        super().__init__(message, details, code)
        self.retry_after = retry_after


class InternalError(ChannelError):
    """A failure that a retry will not fix; nothing of the turn was stored."""

    code = "INTERNAL_ERROR"
    http_status = 500


def request_id_of(request: Request) -> str:
    """The client's ``X-Request-Id`` when it is a short token, else a new one."""
    given = request.headers.get("X-Request-Id", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def error_response(error: ChannelError, request_id: str) -> HTTPResponse:
    """``error`` as the envelope, with its status and headers."""
    timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    body = {
        "success": False,
        "error": error.to_payload(),
        "meta": {"timestamp": timestamp, "request_id": request_id},
    }
    headers = {"X-Request-Id": request_id}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return response.json(body, status=error.http_status, headers=headers)
