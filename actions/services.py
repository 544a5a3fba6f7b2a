"""Cached accessors for the collaborators of the actions.

Actions call ``get_store()`` and ``get_settings()`` at run time, never at import. Tests install
their own instances with ``use_store``/``use_settings`` (e.g. a store on a test database).
"""

from __future__ import annotations

from typing import Optional

from assistant.memory.cache import MemoryCache
from assistant.memory.store import Memories
from assistant.settings import Settings
from assistant.settings import get_settings as _env_settings
from assistant.store import Store, build_store

_store: Optional[Store] = None
_settings: Optional[Settings] = None
_memories: Optional[Memories] = None


def get_settings() -> Settings:
    return _settings or _env_settings()


def get_store() -> Store:
    global _store
    if _store is None:
        _store = build_store(get_settings())
    return _store


def use_store(store: Optional[Store]) -> None:
    """Replaces the store the actions use (``None`` goes back to the configured one)."""
    global _store
    _store = store


def use_settings(settings: Optional[Settings]) -> None:
    global _settings
    _settings = settings


def get_memories() -> Memories:
    """Customers' memories in the store, cached in Redis when ``REDIS_URL`` is set."""
    global _memories
    if _memories is None or _memories.store is not get_store():
        _memories = Memories(get_store(), MemoryCache.from_settings(get_settings()))
    return _memories
