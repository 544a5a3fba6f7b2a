"""The store's data layer: models, business operations and demo seed."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from assistant.settings import ConfigError, Settings, get_settings
from assistant.store import (  # noqa: F401 (their tables)
    account_models,
    conversation_models,
    email_models,
    llm_models,
    memory_models,
    ops_models,
)
from assistant.store.errors import NotAllowed, NotFound, StoreError
from assistant.store.repository import Store, create_db_engine
from assistant.store.schema import upgrade


def build_store(settings: Optional[Settings] = None) -> Store:
    """A ``Store`` on the settings' database, migrated to the newest schema (Alembic,
    assistant/store/schema.py); fails with what to do when columns are still missing."""
    settings = settings or get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    store = Store(create_db_engine(settings.database_url), settings.return_window_days)
    upgrade(store.engine)
    missing = store.missing_columns()
    if missing:
        raise ConfigError(
            f"The database lacks columns this version needs ({', '.join(missing[:5])}): it was "
            "created by an older version. For the demo database run "
            "`.venv/bin/python -m assistant.store.seed --reset`."
        )
    return store


@lru_cache(maxsize=1)
def get_store() -> Store:
    """The process-wide store, built on first use (never at import)."""
    return build_store()


__all__ = ["Store", "StoreError", "NotFound", "NotAllowed", "build_store", "get_store"]
