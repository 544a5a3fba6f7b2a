"""Typed errors of the web channel. Each carries the code, message and details that clients
receive in an ``error`` event (or an HTTP error body), in the seed API's error format."""

from __future__ import annotations

from typing import Any, Dict, Optional


class ChannelError(Exception):
    """A request the channel refuses; the client gets ``to_payload()``."""

    code = "BAD_REQUEST"
    http_status = 400

    def __init__(self, message: str, details: Optional[Dict[str, Any]] = None, code: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code

    def to_payload(self) -> Dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class AuthError(ChannelError):
    """Missing, invalid or expired credentials."""

    code = "UNAUTHORIZED"
    http_status = 401


class ForbiddenError(ChannelError):
    """Authenticated, but not allowed to do this (e.g. join someone else's conversation)."""

    code = "FORBIDDEN"
    http_status = 403


class ValidationError(ChannelError):
    """A malformed event or message."""

    code = "VALIDATION_ERROR"
    http_status = 422


class MessageTooLargeError(ValidationError):
    """A message longer than the configured limit."""

    code = "MESSAGE_TOO_LARGE"
    http_status = 413


class ConflictError(ChannelError):
    """The conversation's state refuses it (an agent's message into a closed conversation)."""

    code = "CONFLICT"
    http_status = 409


class RateLimitError(ChannelError):
    """Too many messages in a conversation, or too many connections from one address."""

    code = "RATE_LIMIT_EXCEEDED"
    http_status = 429


class ConfigurationError(ValueError):
    """A credentials.yml value or environment variable of the web channel is unusable."""
