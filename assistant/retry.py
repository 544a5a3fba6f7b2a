"""Bridging short outages: a lost connection to PostgreSQL or Redis is retried with exponential
backoff and full jitter (tenacity), for at most ``STORE_RETRY_SECONDS`` and never past the
deadline of the turn being served, so a restart of either costs a delay, not an error.

Only *transient* errors are retried (the server is unreachable, restarting or dropped the
connection); anything else fails at once. The turn's deadline is a context variable set by the
channel that serves the turn (``turn_deadline``); code running outside a turn uses the budget
alone. Retrying is for whole operations whose partial work is rolled back (one transaction, one
Redis transaction), never for a half-applied change.
"""

from __future__ import annotations

import contextlib
import logging
import time
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Iterator, Optional, TypeVar

import redis
import sqlalchemy.exc
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

from assistant.settings import get_settings

logger = logging.getLogger(__name__)
T = TypeVar("T")

_deadline: ContextVar[Optional[float]] = ContextVar("turn_deadline", default=None)
_TRANSIENT = (
    redis.exceptions.ConnectionError,  # also BusyLoadingError (Redis loading its data set)
    redis.exceptions.TimeoutError,
    sqlalchemy.exc.OperationalError,  # connection refused or dropped, server starting or shutting down
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # the connection pool had no connection in time
    ConnectionError,
    TimeoutError,
)


class Unavailable(Exception):
    """A dependency (PostgreSQL, Redis) stayed unreachable for the whole retry budget.

    ``retryable`` tells the client whether asking again later can help."""

    retryable = True


def is_transient(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is a lost or refused connection."""
    seen = 0
    current: Optional[BaseException] = error
    while current is not None and seen < 5:
        if isinstance(current, _TRANSIENT):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False


@contextlib.contextmanager
def turn_deadline(seconds: float) -> Iterator[float]:
    """Marks the code inside as one turn that must be over in ``seconds``."""
    deadline = time.monotonic() + seconds
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def remaining_budget(budget: Optional[float] = None) -> float:
    """Seconds left for retrying: the budget, cut short by the current turn's deadline."""
    seconds = get_settings().store_retry_seconds if budget is None else budget
    deadline = _deadline.get()
    if deadline is not None:
        seconds = min(seconds, deadline - time.monotonic())
    return max(0.0, seconds)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning("Retrying %s after a transient error (attempt %d): %s",
                   getattr(state.fn, "__qualname__", state.fn), state.attempt_number, error)  # fmt: skip


def _policy(budget: Optional[float]) -> dict:
    return {
        "retry": retry_if_exception(is_transient),
        "wait": wait_random_exponential(multiplier=0.05, max=1.0),
        "stop": stop_after_delay(remaining_budget(budget)),
        "before_sleep": _log_retry,
        "reraise": True,
    }


async def retry_async(
    operation: Callable[..., Awaitable[T]], *args: Any, budget: Optional[float] = None
) -> T:
    """``await operation(*args)``, retried on transient errors within the budget."""
    async for attempt in AsyncRetrying(**_policy(budget)):
        with attempt:
            return await operation(*args)
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


async def retry_blocking(operation: Callable[..., T], *args: Any, budget: Optional[float] = None) -> T:
    """``operation(*args)`` (a quick blocking call), retried on transient errors within the
    budget; waits between attempts without blocking the event loop."""

    async def call() -> T:
        return operation(*args)

    return await retry_async(call, budget=budget)


def retry_sync(operation: Callable[..., T], *args: Any, budget: Optional[float] = None) -> T:
    """``operation(*args)`` retried on transient errors (for code with no event loop)."""
    for attempt in Retrying(**_policy(budget)):
        with attempt:
            return operation(*args)
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover
