"""Rasa lock store chosen by ``REDIS_URL``: Redis when it is set, in memory otherwise.

Registered in endpoints.yml as ``assistant.plugins.lock_store.ConfiguredLockStore``. With Redis
several Rasa processes serve one conversation safely: a message waits for the ticket lock of
its conversation, whichever process holds it.

Rasa's own ``RedisLockStore`` issues tickets with a plain GET then SET, so two processes that
receive messages of one conversation at the same moment can both draw ticket 0 and run at
once (their events then overwrite each other). ``AtomicRedisLockStore`` makes every
read-modify-write of a lock one Redis transaction (WATCH/MULTI/EXEC, retried on conflict).

A lost connection to Redis (a restart, say) is retried with backoff inside the turn's deadline
(assistant/retry.py), waiting without blocking the event loop. A lock that vanished while a
message waited for it (Redis restarted without its data) is drawn again rather than failing
the message, and a failure to release a lock after a completed turn is logged, not raised: the
turn is stored, and the ticket expires after its lifetime.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, List, Optional, Tuple, TypeVar
from urllib.parse import unquote, urlsplit

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore

from assistant.retry import retry_blocking
from assistant.settings import get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket operations are Redis transactions."""

    def _transact(
        self, conversation_id: str, change: Callable[[Optional[TicketLock]], Tuple[T, Optional[TicketLock]]]
    ) -> T:
        """Applies ``change`` to the stored lock atomically. ``change`` returns what the caller
        gets back and the lock to store (None deletes the key)."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    result, new_lock = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        return self._transact(conversation_id, change)

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock:
                lock.remove_expired_tickets()
            return None, lock

        self._transact(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._transact(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finishes the ticket and deletes the lock when nobody waits, in one transaction."""

        def change(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock:
                lock.remove_ticket_for(ticket_number)
                if not lock.is_someone_waiting():
                    lock = None
            return None, lock

        self._transact(conversation_id, change)

    @asynccontextmanager
    async def lock(  # type: ignore[override]
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock, with every Redis call retried on a lost connection."""
        tickets = [await retry_blocking(self.issue_ticket, conversation_id, lock_lifetime)]
        try:
            yield await self._wait_for_turn(conversation_id, tickets, lock_lifetime, wait_time_in_seconds)
        finally:
            await self._release(conversation_id, tickets[-1])

    async def _wait_for_turn(
        self, conversation_id: str, tickets: List[int], lock_lifetime: float, wait_time_in_seconds: float
    ) -> TicketLock:
        """Waits until the last of ``tickets`` is served. A lock that vanished (Redis restarted
        empty) is drawn again, once; the new ticket is appended."""
        while True:
            lock = await retry_blocking(self.get_lock, conversation_id)
            if lock is None:
                if len(tickets) > 1:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                tickets.append(await retry_blocking(self.issue_ticket, conversation_id, lock_lifetime))
                continue
            if not lock.is_locked(tickets[-1]):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            await retry_blocking(self.update_lock, conversation_id)

    async def _release(self, conversation_id: str, ticket: int) -> None:
        try:
            await retry_blocking(self.cleanup, conversation_id, ticket)
        except Exception as error:  # the turn itself is done; the ticket expires on its own
            logger.warning(
                "Could not release the lock of %s (%s); it expires by itself.", conversation_id, error
            )


class ConfiguredLockStore(LockStore):
    """Builds the lock store the settings ask for.

    Rasa instantiates lock stores by class path, so this class stands in for a factory: it
    returns an ``AtomicRedisLockStore`` or an ``InMemoryLockStore`` (and Rasa logs which)."""

    def __new__(cls, endpoint_config: Any = None, redis_url: Optional[str] = None) -> LockStore:  # type: ignore[misc]
        settings = get_settings()
        url = redis_url or settings.redis_url
        if url:
            return redis_lock_store(url, settings.redis_key_prefix)
        return InMemoryLockStore()


def redis_lock_store(url: str, key_prefix: str) -> AtomicRedisLockStore:
    """An ``AtomicRedisLockStore`` for a ``redis://[user:password@]host:port/db`` URL."""
    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "0"  # as every Redis client reads a URL without a database
    return AtomicRedisLockStore(
        host=parts.hostname or "localhost",
        port=parts.port or 6379,
        db=int(db),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "rediss",
        key_prefix=key_prefix,
    )
