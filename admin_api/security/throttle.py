"""Throttling.

Login: failed sign-ins are stored (so the limit holds across processes and restarts) and
counted per account and per client address within ``LOGIN_WINDOW_MINUTES``; past
``LOGIN_FAILURES_PER_ACCOUNT`` or ``LOGIN_FAILURES_PER_IP`` the answer is 429 with
``Retry-After`` (seconds until the oldest failure in the window expires).

Requests (:class:`RateLimiter`): every call of an endpoint counts against its caller (the
signed-in account or API key, else the client address) in fixed windows of
``RATE_LIMIT_WINDOW_SECONDS``; past ``RATE_LIMIT_REQUESTS`` the answer is 429 with
``Retry-After``. Every answer carries ``X-RateLimit-Limit/-Remaining/-Reset`` (reset: Unix time)
and ``X-RateLimit-Window``. The counters live in Redis when ``REDIS_URL`` is set (shared by
every process of the API), else in this process's memory."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Optional, Tuple

import sqlalchemy as sa

from admin_api.errors import TooManyRequests
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.account_models import LoginFailure
from assistant.store.models import utcnow

logger = logging.getLogger(__name__)
MAX_MEMORY_KEYS = 10_000


def check(store: Store, settings: Settings, email: str, ip: str) -> None:
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    for scope, limit in ((f"account:{email}", settings.login_failures_per_account),
                         (f"ip:{ip}", settings.login_failures_per_ip)):  # fmt: skip
        wait = _wait(store, scope, limit, now, window)
        if wait is not None:
            raise TooManyRequests("Too many failed sign-ins; try again later", wait,
                                  {"limit": limit, "window": f"{settings.login_window_minutes} minutes"})  # fmt: skip


def record_failure(store: Store, email: str, ip: str) -> None:
    with store.session() as s:
        s.add_all([LoginFailure(scope=f"account:{email}"[:300]), LoginFailure(scope=f"ip:{ip}"[:300])])


def clear_account(store: Store, email: str) -> None:
    with store.session() as s:
        s.execute(sa.delete(LoginFailure).where(LoginFailure.scope == f"account:{email}"[:300]))


def _wait(store: Store, scope: str, limit: int, now: datetime, window: timedelta) -> Optional[int]:
    with store.session() as s:
        query = sa.select(LoginFailure.created_at).where(
            LoginFailure.scope == scope[:300], LoginFailure.created_at > now - window
        )
        times = sorted(s.scalars(query))
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[-limit] + window - now).total_seconds()))


@dataclass(frozen=True)
class Quota:
    """Where a caller stands in the current window."""

    limit: int
    remaining: int
    reset_at: int  # Unix time the window ends
    window: int

    def headers(self) -> Dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": str(self.reset_at), "X-RateLimit-Window": str(self.window)}  # fmt: skip


class RateLimiter:
    """Fixed-window request counters per caller, in Redis (``redis_url``) or in memory."""

    def __init__(
        self, limit: int, window: int, redis_url: Optional[str] = None, prefix: str = "ratelimit"
    ) -> None:
        self.limit, self.window, self.prefix = limit, window, prefix
        self._redis = None
        if redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._counts: Dict[Tuple[str, int], int] = {}
        self._lock = threading.Lock()

    async def hit(self, caller: str) -> Quota:
        """Counts one request of ``caller``; raises 429 past the limit."""
        now = time.time()
        window_index = int(now // self.window)
        reset_at = (window_index + 1) * self.window
        count = await self._incr(caller, window_index)
        quota = Quota(self.limit, max(0, self.limit - count), reset_at, self.window)
        if count > self.limit:
            wait = max(1, math.ceil(reset_at - now))
            details = {"limit": self.limit, "window": f"{self.window} seconds", "reset_at": reset_at}
            raise TooManyRequests("Rate limit exceeded", wait, details)
        return quota

    async def _incr(self, caller: str, window_index: int) -> int:
        if self._redis is not None:
            key = f"{self.prefix}:{caller}:{window_index}"
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    count, _ = await pipe.incr(key).expire(key, self.window + 5).execute()
                return int(count)
            except Exception:  # Redis away: count here rather than refuse or wave through
                logger.warning("Rate limit counters: Redis unavailable, counting in memory", exc_info=True)
        with self._lock:
            if len(self._counts) > MAX_MEMORY_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window_index}
            slot = (caller, window_index)
            self._counts[slot] = self._counts.get(slot, 0) + 1
            return self._counts[slot]

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()
