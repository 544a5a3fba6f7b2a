"""Database calls from the event loop: run in a worker thread (the store is synchronous
SQLAlchemy), retried with backoff on a lost connection within ``STORE_RETRY_SECONDS``."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from assistant.retry import retry_async

T = TypeVar("T")


async def db(operation: Callable[..., T], *args: Any) -> T:
    """``operation(*args)`` in a thread; each is one transaction, so a retry repeats it whole."""

    async def attempt() -> T:
        return await asyncio.to_thread(operation, *args)

    return await retry_async(attempt)
