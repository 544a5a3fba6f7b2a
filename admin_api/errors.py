"""Typed errors of the admin API and the one handler that turns any exception into the error
envelope with its HTTP status (domain errors of the store and the conversation model too).
Nothing is ever answered with a bare 500 page; unexpected errors are logged with the request id."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from admin_api.envelope import ErrorBody, failure, request_id
from assistant.conversations.errors import InvalidTransition
from assistant.store.errors import NotAllowed, NotFound

logger = logging.getLogger(__name__)

SANIC_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 408: "REQUEST_TIMEOUT", 413: "PAYLOAD_TOO_LARGE",
               416: "RANGE_NOT_SATISFIABLE", 503: "SERVICE_UNAVAILABLE"}  # fmt: skip


class ApiError(Exception):
    """A refusal with its status, code, message and details."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(
        self,
        message: str,
        details: Optional[Dict[str, Any]] = None,
        code: Optional[str] = None,
        status: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message, self.details, self.headers = message, details or {}, headers or {}
        self.code = code or self.code
        self.status = status or self.status

    def body(self) -> ErrorBody:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(ApiError):
    status, code = 400, "BAD_REQUEST"


class Unauthorized(ApiError):
    status, code = 401, "UNAUTHORIZED"


class Forbidden(ApiError):
    status, code = 403, "FORBIDDEN"


class NotFoundError(ApiError):
    status, code = 404, "NOT_FOUND"


class Conflict(ApiError):
    status, code = 409, "CONFLICT"


class ValidationFailed(ApiError):
    """422 with one entry per field in ``error.validation_errors``."""

    status, code = 422, "VALIDATION_ERROR"

    def __init__(self, errors: List[Dict[str, str]]) -> None:
        first = errors[0] if errors else {"field": "", "message": "invalid"}
        super().__init__("Request validation failed", {"field": first["field"], "reason": first["message"]})
        self.errors = errors

    def body(self) -> ErrorBody:
        body: Dict[str, Any] = dict(super().body())
        body["validation_errors"] = self.errors
        return body  # type: ignore[return-value]


class TooManyRequests(ApiError):
    status, code = 429, "RATE_LIMIT_EXCEEDED"

    def __init__(self, message: str, retry_after: int, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message, {**(details or {}), "retry_after": retry_after},
                         headers={"Retry-After": str(retry_after)})  # fmt: skip


class Unavailable(ApiError):
    """A dependency (the Rasa server) cannot be reached now: try again after ``retry_after``."""

    status, code = 503, "SERVICE_UNAVAILABLE"

    def __init__(self, message: str, retry_after: int = 2, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message, details, headers={"Retry-After": str(retry_after)})


def as_api_error(error: BaseException) -> ApiError:
    """The API error for any exception."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, InvalidTransition):
        details = {"status": error.current, "requested": error.target}
        return Conflict(str(error), details, code=error.code)
    if isinstance(error, NotFound):
        return NotFoundError(str(error), code=error.code)
    if isinstance(error, NotAllowed):
        return Conflict(str(error), {"reason": error.reason}, code=error.code)
    if isinstance(error, SanicException):
        status = int(getattr(error, "status_code", 500) or 500)
        if status >= 500:
            return ApiError("The server could not answer this request", code="INTERNAL_ERROR", status=500)
        return ApiError(
            str(error) or "Bad request", code=SANIC_CODES.get(status, "BAD_REQUEST"), status=status
        )
    return ApiError("The server could not answer this request", code="INTERNAL_ERROR", status=500)


async def handle_error(request: Request, error: Exception) -> HTTPResponse:
    """The app's one error handler."""
    api_error = as_api_error(error)
    if api_error.status >= 500 and not isinstance(error, ApiError):
        logger.error("Request %s failed", request_id(request), exc_info=error)
    return failure(request, api_error.status, api_error.body(), api_error.headers)
