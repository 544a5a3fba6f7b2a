"""Rasa lock store chosen by ``REDIS_URL``: Redis when it is set, in memory otherwise.

Registered in endpoints.yml as ``assistant.plugins.lock_store.ConfiguredLockStore``. With Redis
several Rasa processes serve one conversation safely: a message waits for the ticket lock of
its conversation, whichever process holds it.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

from assistant.settings import get_settings


class ConfiguredLockStore(LockStore):
    """Delegates to ``RedisLockStore`` or ``InMemoryLockStore``."""

    def __init__(self, endpoint_config: Any = None, redis_url: Optional[str] = None) -> None:
        settings = get_settings()
        url = redis_url or settings.redis_url
        self.inner: LockStore = (
            redis_lock_store(url, settings.redis_key_prefix) if url else InMemoryLockStore()
        )
        super().__init__()

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self.inner.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.inner.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.inner.save_lock(lock)


def redis_lock_store(url: str, key_prefix: str) -> RedisLockStore:
    """A ``RedisLockStore`` for a ``redis://[user:password@]host:port/db`` URL."""
    parts = urlsplit(url)
    db = parts.path.lstrip("/") or "1"
    return RedisLockStore(
        host=parts.hostname or "localhost",
        port=parts.port or 6379,
        db=int(db),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "rediss",
        key_prefix=key_prefix,
    )
