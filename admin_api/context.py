"""What every request of the admin API works with, opened before the server starts (on
``app.ctx.services``) and closed after it stops: the store, the tracker store reader, the HTTP
session to the Rasa server, the token secret. Blocking work (SQLAlchemy, argon2) runs in
threads so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Dict, Optional, TypeVar

from sanic.request import Request

from admin_api.errors import TooManyRequests
from admin_api.metrics import Metrics
from admin_api.rasa_client import RasaClient
from admin_api.security import principal as principals
from admin_api.security.throttle import Quota, RateLimiter
from assistant.conversations.sync import sync
from assistant.conversations.tracker_events import TrackerEvents
from assistant.identity.secret import identity_secret
from assistant.memory.cache import MemoryCache
from assistant.memory.store import Memories
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.models import utcnow

T = TypeVar("T")
PRESENCE_WRITE_SECONDS = 60.0


@dataclass
class Services:
    settings: Settings
    store: Store
    tracker: TrackerEvents
    rasa: RasaClient
    jwt_secret: str
    limiter: Optional[RateLimiter] = None
    metrics: Metrics = field(default_factory=Metrics)
    sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _presence: Dict[str, float] = field(default_factory=dict)
    _memories: Optional[Memories] = None

    @property
    def memories(self) -> Memories:
        """Customers' memories (assistant/memory), through the Redis cache when configured."""
        if self._memories is None:
            self._memories = Memories(self.store, MemoryCache.from_settings(self.settings))
        return self._memories

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs blocking ``function`` in a worker thread."""
        return await asyncio.to_thread(partial(function, *args, **kwargs))

    async def authenticate(self, request: Request) -> principals.Principal:
        principal = await self.run(
            principals.authenticate,
            self.store,
            self.jwt_secret,
            request.headers.get("Authorization"),
            request.headers.get("X-API-Key"),
        )
        if principal.staff:
            await self._seen(principal.id)
        return principal

    async def throttle(self, request: Request, caller: str) -> None:
        """Counts the request against ``caller``'s quota (429 past it); the answer's
        ``X-RateLimit-*`` headers come from ``request.ctx.rate_limit``."""
        if self.limiter is None:
            return
        try:
            request.ctx.rate_limit = await self.limiter.hit(caller)
        except TooManyRequests as error:
            request.ctx.rate_limit = Quota(
                self.limiter.limit, 0, int(error.details["reset_at"]), self.limiter.window
            )
            raise

    async def synced(self) -> None:
        """Brings the conversations table up to date with the tracker store."""
        async with self.sync_lock:
            await self.run(sync, self.store, self.tracker, identity_secret(self.settings))

    async def _seen(self, account_id: str) -> None:
        """Notes that a staff member is signed in (at most once a minute per account)."""
        now = time.monotonic()
        if now - self._presence.get(account_id, 0.0) < PRESENCE_WRITE_SECONDS:
            return
        self._presence[account_id] = now
        await self.run(touch, self.store, account_id)

    def forget_presence(self, account_id: str) -> None:
        self._presence.pop(account_id, None)


def touch(store: Store, account_id: str) -> None:
    with store.session() as s:
        account: Optional[Account] = s.get(Account, account_id)
        if account is not None:
            account.last_seen_at = utcnow()
