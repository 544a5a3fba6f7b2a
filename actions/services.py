"""Cached accessors for the collaborators of the actions.

Actions call ``get_store()`` and ``get_settings()`` at run time, never at import. Tests install
their own instances with ``use_store``/``use_settings`` (e.g. a store on a test database).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from assistant.memory.cache import MemoryCache
from assistant.memory.store import Memories
from assistant.settings import Settings
from assistant.settings import get_settings as _env_settings
from assistant.store import Store, build_store
from assistant.system_settings import SettingsCache, SystemSettings

if TYPE_CHECKING:
    from assistant.knowledge import KnowledgeBase
    from assistant.llm import LLMClient

_store: Optional[Store] = None
_settings: Optional[Settings] = None
_memories: Optional[Memories] = None
_system_settings: Optional[SettingsCache] = None


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


def get_system_settings() -> SystemSettings:
    """The admins' system settings (``/api/admin/settings``), a few seconds old at most."""
    global _system_settings
    if _system_settings is None:
        _system_settings = SettingsCache(get_store)
    return _system_settings.get()


def use_system_settings(cache: Optional[SettingsCache]) -> None:
    global _system_settings
    _system_settings = cache


_knowledge: Optional[KnowledgeBase] = None
_llm: Optional[LLMClient] = None


def get_knowledge_base() -> KnowledgeBase:
    """The help centre's index (built on first use, rebuilt when data/knowledge/ changes)."""
    if _knowledge is not None:
        return _knowledge
    from assistant.knowledge import shared_knowledge_base

    return shared_knowledge_base(get_settings())


def get_llm() -> LLMClient:
    """The LLM client of this process; its calls are recorded in the store's ``llm_calls``."""
    global _llm
    if _llm is None:
        from assistant.llm import LLMClient
        from assistant.llm.records import store_recorder

        _llm = LLMClient(get_settings().llm, recorder=store_recorder(get_store()))
    return _llm


def use_knowledge_base(knowledge: Optional[KnowledgeBase]) -> None:
    global _knowledge
    _knowledge = knowledge


def use_llm(llm: Optional[LLMClient]) -> None:
    global _llm
    _llm = llm
