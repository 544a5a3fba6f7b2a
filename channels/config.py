"""Settings of the web channel: credentials.yml values, overridden by environment variables.

Every value has a default that works on a bare machine, so credentials.yml needs no ``${ENV}``
placeholders (Rasa fails on a placeholder whose variable is unset). Environment variables:

==============================  ============================================================
``WEBCHAT_JWT_SECRET``          HS256 secret of the tokens the admin API issues (unset: tokens
                                are refused and only anonymous visitors can connect)
``WEBCHAT_ALLOW_ANONYMOUS``     ``true``/``false``: visitors without a token may chat
``WEBCHAT_MAX_MESSAGE_CHARS``   longest message accepted (characters)
``WEBCHAT_MESSAGES_PER_MINUTE`` messages per minute per conversation
``WEBCHAT_CONNECTIONS_PER_IP``  open sockets per client address (per Rasa process)
``WEBCHAT_EVENTS_PER_MINUTE``   events per minute one socket may send (typing, joins ...)
``WEBCHAT_MAX_CONCURRENT_TURNS`` customer messages Rasa works on at once in this process; the
                                others wait their turn, so sockets keep answering heartbeats
``WEBCHAT_TRUSTED_PROXIES``     comma-separated proxy addresses whose X-Forwarded-For is used
``WEBCHAT_CORS_ORIGINS``        comma-separated origins allowed to open sockets (unset: no check
                                by socket.io; Rasa's ``--cors`` applies to HTTP)
``WEBCHAT_REDIS_PREFIX``        prefix of the channel's Redis keys and socket.io queue channel
``WEBCHAT_DIST_DIR``            folder with the built web chat page (scripts/build_webchat.sh)
``REDIS_URL``                   when set, the socket.io message queue, participants and rate
                                limits live in Redis so several Rasa processes act as one
==============================  ============================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from channels.errors import ConfigurationError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_ENV = {
    "jwt_secret": "WEBCHAT_JWT_SECRET",
    "allow_anonymous": "WEBCHAT_ALLOW_ANONYMOUS",
    "max_message_chars": "WEBCHAT_MAX_MESSAGE_CHARS",
    "messages_per_minute": "WEBCHAT_MESSAGES_PER_MINUTE",
    "connections_per_ip": "WEBCHAT_CONNECTIONS_PER_IP",
    "events_per_minute": "WEBCHAT_EVENTS_PER_MINUTE",
    "max_concurrent_turns": "WEBCHAT_MAX_CONCURRENT_TURNS",
    "trusted_proxies": "WEBCHAT_TRUSTED_PROXIES",
    "cors_origins": "WEBCHAT_CORS_ORIGINS",
    "redis_prefix": "WEBCHAT_REDIS_PREFIX",
    "dist_dir": "WEBCHAT_DIST_DIR",
    "redis_url": "REDIS_URL",
}


@dataclass(frozen=True)
class WebChatConfig:
    """Validated settings of one ``WebChatInput``."""

    socketio_path: str = "/socket.io"
    jwt_secret: Optional[str] = None
    jwt_algorithm: str = "HS256"
    allow_anonymous: bool = True
    max_message_chars: int = 2000
    messages_per_minute: int = 30
    connections_per_ip: int = 10
    events_per_minute: int = 120
    max_concurrent_turns: int = 8
    trusted_proxies: Tuple[str, ...] = ()
    cors_origins: Tuple[str, ...] = ()
    redis_url: Optional[str] = None
    redis_prefix: str = "webchat"
    history_limit: int = 50
    bot_name: str = "Northwind Assistant"
    dist_dir: Path = PROJECT_ROOT / "webchat" / "dist"

    def __post_init__(self) -> None:
        for name in (
            "max_message_chars",
            "messages_per_minute",
            "connections_per_ip",
            "events_per_minute",
            "max_concurrent_turns",
            "history_limit",
        ):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"webchat: {name} must be at least 1, got {getattr(self, name)}")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError("REDIS_URL must start with redis://, rediss:// or unix://")

    @classmethod
    def from_credentials(
        cls, credentials: Optional[Mapping[str, Any]], env: Optional[Mapping[str, str]] = None
    ) -> WebChatConfig:
        """Values from credentials.yml, each overridden by its environment variable when set."""
        env = os.environ if env is None else env
        raw: Dict[str, Any] = {k: v for k, v in (credentials or {}).items() if v is not None}
        raw.update({name: env[var] for name, var in _ENV.items() if env.get(var)})
        known = {f.name: f for f in fields(cls)}
        unknown = set(raw) - set(known)
        if unknown:
            raise ConfigurationError(f"webchat: unknown settings {sorted(unknown)}")
        return cls(**{name: _coerce(name, value, known[name].default) for name, value in raw.items()})


def _coerce(name: str, value: Any, default: Any) -> Any:
    """Converts a YAML or environment value to the type of the field's default."""
    if isinstance(default, bool):
        return _bool(name, value)
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"webchat: {name} must be a whole number, got {value!r}") from exc
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(item).strip() for item in items if str(item).strip())
    if isinstance(default, Path):
        return Path(value)
    return str(value)


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"webchat: {name} must be true or false, got {value!r}")
