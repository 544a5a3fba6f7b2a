"""System settings admins change at run time (``GET/PUT /api/admin/settings``), kept in the
``system_settings`` table and honoured by the assistant's turns (channels/turns.py):

- ``auto_reply_enabled``: false hands every new customer message to the agents' queue with a
  polite notice instead of a bot answer (the bot stays paused for that conversation);
- ``ai_confidence_threshold``: a customer message whose intent confidence is below it gets the
  two-stage fallback ("Did you mean ...?") instead of an answer. The model's own
  FallbackClassifier threshold (config.yml, 0.48) still applies, so values below it change nothing;
- ``max_response_length``: the bot's texts are cut to this many characters (with an ellipsis);
- ``default_response_style``: the greeting's style (the action server's personal slots,
  actions/personal.py) where the customer's own tone is not known.

The Rasa server reads them through :class:`SettingsCache` (a few seconds old at most)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable, Dict, Optional

from assistant.store import Store
from assistant.store.models import utcnow
from assistant.store.ops_models import SystemSetting

logger = logging.getLogger(__name__)
STYLES = ("friendly", "concise", "formal")
MIN_RESPONSE_LENGTH, MAX_RESPONSE_LENGTH = 20, 10_000
CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class SystemSettings:
    auto_reply_enabled: bool = True
    ai_confidence_threshold: float = 0.48
    max_response_length: int = 4000
    default_response_style: str = "friendly"

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


DEFAULTS = SystemSettings()
NAMES = tuple(f.name for f in fields(SystemSettings))


def load(store: Store) -> SystemSettings:
    """The stored settings, defaults for those never set (or no longer valid)."""
    with store.session() as s:
        stored = {row.key: row.value for row in s.query(SystemSetting).all()}
    values = {name: stored[name] for name in NAMES if name in stored}
    try:
        return replace(DEFAULTS, **values)
    except TypeError:
        return DEFAULTS


def save(store: Store, changes: Dict[str, Any], actor_id: str) -> SystemSettings:
    """Stores ``changes`` (already validated) and returns the settings now in force."""
    with store.session() as s:
        for name, value in changes.items():
            row = s.get(SystemSetting, name)
            if row is None:
                row = SystemSetting(key=name)
                s.add(row)
            row.value, row.updated_by, row.updated_at = value, actor_id, utcnow()
    return load(store)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last being an ellipsis when it was longer."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


class SettingsCache:
    """The settings as the assistant's turns see them: read at most every ``ttl`` seconds;
    when the database cannot be read, the last known (or default) settings hold."""

    def __init__(self, store_of: Callable[[], Store], ttl: float = CACHE_SECONDS) -> None:
        self._store_of, self._ttl = store_of, ttl
        self._value: SystemSettings = DEFAULTS
        self._read_at: Optional[float] = None
        self._lock = threading.Lock()

    def get(self) -> SystemSettings:
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= self._ttl:
                self._read_at = now
                try:
                    self._value = load(self._store_of())
                except Exception:  # the turn goes on with the last known settings
                    logger.warning("Could not read the system settings", exc_info=True)
            return self._value
