"""Typed errors of the store; the actions turn them into polite replies, the admin API into
4xx responses."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every domain error the store raises."""

    code = "STORE_ERROR"


class NotFound(StoreError):
    code = "NOT_FOUND"


class NotAllowed(StoreError):
    """The request is understood but the record's state forbids it (e.g. cancel a shipped
    order). ``reason`` is a short machine-readable word the caller can branch on."""

    code = "NOT_ALLOWED"

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason
