"""Configuration for every process of the assistant, read from the environment in one place.

Defaults run on a bare machine: SQLite files under ``var/`` and no Redis.  Production sets
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.  Tests build ``Settings`` directly and pass
them into factories instead of touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """An environment variable holds a value the assistant cannot use."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration shared by the Rasa server plug-ins and the action server."""

    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    redis_url: Optional[str] = None
    redis_key_prefix: str = "lock"
    payment_portal_url: str = "https://pay.northwind.example/update"
    password_reset_url: str = "https://account.northwind.example/reset"
    return_window_days: int = 30
    smtp_url: Optional[str] = None
    smtp_ca_file: Optional[str] = None
    identity_secret: Optional[str] = None
    mail_from: str = "Northwind Support <support@northwind.example>"
    max_order_id_attempts: int = 3
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.var_dir / 'store.db'}")
        _check_scheme("DATABASE_URL", self.database_url, ("sqlite", "postgresql"))
        if self.redis_url:
            _check_scheme("REDIS_URL", self.redis_url, ("redis", "rediss"))
        if self.smtp_url:
            _check_scheme("SMTP_URL", self.smtp_url, ("smtp", "smtps"))
        if self.identity_secret is not None and len(self.identity_secret) < 16:
            raise ConfigError("IDENTITY_SECRET must be at least 16 characters")

    @property
    def tracker_store_url(self) -> str:
        """Where Rasa keeps conversations: the business database on Postgres, a file of its
        own on SQLite (two processes writing one SQLite file would block each other)."""
        if self.database_url.startswith("sqlite"):
            return f"sqlite:///{self.var_dir / 'tracker.db'}"
        return self.database_url

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> Settings:
        env = os.environ if env is None else env
        var_dir = Path(env.get("ASSISTANT_VAR_DIR", PROJECT_ROOT / "var"))
        return cls(
            var_dir=var_dir,
            database_url=env.get("DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL") or None,
            redis_key_prefix=env.get("REDIS_LOCK_PREFIX", "lock"),
            payment_portal_url=env.get("PAYMENT_PORTAL_URL", cls.payment_portal_url),
            password_reset_url=env.get("PASSWORD_RESET_URL", cls.password_reset_url),
            return_window_days=_int(env, "RETURN_WINDOW_DAYS", cls.return_window_days),
            smtp_url=env.get("SMTP_URL") or None,
            smtp_ca_file=env.get("SMTP_CA_FILE") or None,
            identity_secret=env.get("IDENTITY_SECRET") or None,
            mail_from=env.get("MAIL_FROM", cls.mail_from),
        )


def _check_scheme(name: str, url: str, schemes: tuple) -> None:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in schemes:
        raise ConfigError(f"{name} must start with one of {schemes}, got {url.split(':', 1)[0]!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read from the environment on first use."""
    return Settings.from_env()
