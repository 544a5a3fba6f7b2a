"""Rasa lock store chosen by ``REDIS_URL``: Redis when it is set, in memory otherwise.

Registered in endpoints.yml as ``assistant.plugins.lock_store.ConfiguredLockStore``. With Redis
several Rasa processes serve one conversation safely: a message waits for the ticket lock of
its conversation, whichever process holds it.

Rasa's own ``RedisLockStore`` issues tickets with a plain GET then SET, so two processes that
receive messages of one conversation at the same moment can both draw ticket 0 and run at
once (their events then overwrite each other). ``AtomicRedisLockStore`` makes every
read-modify-write of a lock one Redis transaction (WATCH/MULTI/EXEC, retried on conflict).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple, TypeVar
from urllib.parse import unquote, urlsplit

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore

from assistant.settings import get_settings

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
