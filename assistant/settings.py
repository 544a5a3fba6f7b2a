"""Configuration for every process of the assistant, read from the environment in one place.

Defaults run on a bare machine: SQLite files under ``var/`` and no Redis.  Production sets
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.  Tests build ``Settings`` directly and pass
them into factories instead of touching the environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """An environment variable holds a value the assistant cannot use."""


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp Cloud API channel (channels/whatsapp/). Without the four secrets the server
    still starts, and the channel answers that it is not configured."""

    app_secret: Optional[str] = field(
        default=None, repr=False
    )  # signs Meta's webhook calls (X-Hub-Signature-256)
    verify_token: Optional[str] = field(
        default=None, repr=False
    )  # what Meta sends back when it verifies the webhook
    access_token: Optional[str] = field(default=None, repr=False)  # bearer token of the Graph API calls
    phone_number_id: Optional[str] = None  # the business number we answer from
    graph_base_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    reengagement_template: Optional[str] = None  # sent instead of free text outside 24 hours
    template_language: str = "en_US"
    http_timeout_seconds: float = 10.0
    send_attempts: int = 5  # tries of one outgoing message on throughput errors, 5xx, network
    retry_base_seconds: float = 0.5  # first backoff of a send retry, doubling, with jitter
    pair_pace_seconds: float = 6.0  # gap between messages to one number after error 131056
    turn_attempts: int = 5  # tries of a customer message whose turn failed for now
    turn_retry_seconds: float = 2.0  # first wait before a failed turn is tried again, doubling
    sweep_seconds: float = 5.0  # how often unfinished work is looked for
    max_concurrent_turns: int = 4  # Rasa computes turns on the event loop the webhook shares
    max_body_bytes: int = 1_048_576
    max_voice_bytes: int = 16 * 1024 * 1024
    max_voice_seconds: int = 120

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", self.graph_base_url):
            raise ConfigError(f"WHATSAPP_GRAPH_BASE_URL must be an http(s) URL, got {self.graph_base_url!r}")
        if not re.match(r"^v\d+\.\d+$", self.api_version):
            raise ConfigError(f"WHATSAPP_API_VERSION must look like v23.0, got {self.api_version!r}")
        _check_positive(self, ("http_timeout_seconds", "send_attempts", "retry_base_seconds",
                               "pair_pace_seconds", "turn_attempts", "turn_retry_seconds", "sweep_seconds",
                               "max_concurrent_turns", "max_body_bytes", "max_voice_bytes",
                               "max_voice_seconds"), prefix="WHATSAPP_")  # fmt: skip

    @property
    def configured(self) -> bool:
        """Whether every secret the channel needs is set."""
        return all((self.app_secret, self.verify_token, self.access_token, self.phone_number_id))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WhatsAppSettings:
        return cls(
            app_secret=env.get("WHATSAPP_APP_SECRET") or None,
            verify_token=env.get("WHATSAPP_VERIFY_TOKEN") or None,
            access_token=env.get("WHATSAPP_ACCESS_TOKEN") or None,
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID") or None,
            graph_base_url=(env.get("WHATSAPP_GRAPH_BASE_URL") or cls.graph_base_url).rstrip("/"),
            api_version=env.get("WHATSAPP_API_VERSION") or cls.api_version,
            reengagement_template=env.get("WHATSAPP_REENGAGEMENT_TEMPLATE") or None,
            template_language=env.get("WHATSAPP_TEMPLATE_LANGUAGE") or cls.template_language,
            http_timeout_seconds=_float(env, "WHATSAPP_HTTP_TIMEOUT_SECONDS", cls.http_timeout_seconds),
            send_attempts=_int(env, "WHATSAPP_SEND_ATTEMPTS", cls.send_attempts),
            retry_base_seconds=_float(env, "WHATSAPP_RETRY_BASE_SECONDS", cls.retry_base_seconds),
            pair_pace_seconds=_float(env, "WHATSAPP_PAIR_PACE_SECONDS", cls.pair_pace_seconds),
            turn_attempts=_int(env, "WHATSAPP_TURN_ATTEMPTS", cls.turn_attempts),
            turn_retry_seconds=_float(env, "WHATSAPP_TURN_RETRY_SECONDS", cls.turn_retry_seconds),
            sweep_seconds=_float(env, "WHATSAPP_SWEEP_SECONDS", cls.sweep_seconds),
            max_concurrent_turns=_int(env, "WHATSAPP_MAX_CONCURRENT_TURNS", cls.max_concurrent_turns),
            max_body_bytes=_int(env, "WHATSAPP_MAX_BODY_BYTES", cls.max_body_bytes),
            max_voice_bytes=_int(env, "WHATSAPP_MAX_VOICE_BYTES", cls.max_voice_bytes),
            max_voice_seconds=_int(env, "WHATSAPP_MAX_VOICE_SECONDS", cls.max_voice_seconds),
        )


@dataclass(frozen=True)
class EmailSettings:
    """The e-mail channel (channels/email/): the support mailbox read over IMAP. Replies go out
    through the outbox and ``SMTP_URL``. Without host, user and password the channel answers
    that it is not configured, and no listener starts with the server."""

    imap_host: Optional[str] = None
    imap_port: int = 993
    imap_user: Optional[str] = None
    imap_password: Optional[str] = field(default=None, repr=False)
    imap_tls: str = "tls"  # tls (from the start), starttls, or none (loopback tests only)
    imap_ca_file: Optional[str] = None  # CA bundle to trust for a private IMAP server
    mailbox: str = "INBOX"
    address: Optional[str] = None  # our support address (default: MAIL_FROM's)
    poll_seconds: float = 30.0  # between looks when the server has no IDLE (and IDLE's renewal)
    idle: bool = True  # use IDLE when the server offers it
    autostart: bool = True  # start the listener with the Rasa server
    batch_size: int = 50  # messages fetched per look
    turn_attempts: int = 5  # tries of a message whose turn failed for now
    turn_retry_seconds: float = 5.0  # first wait before a failed turn is tried again, doubling
    sweep_seconds: float = 10.0  # how often failed turns and the outbox are looked at
    quote_messages: int = 3  # earlier messages quoted below a reply
    lease_seconds: float = 120.0  # a dead process's unfinished message is taken over after this

    def __post_init__(self) -> None:
        if self.imap_tls not in ("tls", "starttls", "none"):
            raise ConfigError(f"EMAIL_IMAP_TLS must be tls, starttls or none, got {self.imap_tls!r}")
        _check_positive(self, ("imap_port", "poll_seconds", "batch_size", "turn_attempts",
                               "turn_retry_seconds", "sweep_seconds", "lease_seconds"), prefix="EMAIL_")  # fmt: skip

    @property
    def configured(self) -> bool:
        return all((self.imap_host, self.imap_user, self.imap_password))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EmailSettings:
        tls = (env.get("EMAIL_IMAP_TLS") or cls.imap_tls).lower()
        return cls(
            imap_host=env.get("EMAIL_IMAP_HOST") or None,
            imap_port=_int(env, "EMAIL_IMAP_PORT", 993 if tls == "tls" else 143),
            imap_user=env.get("EMAIL_IMAP_USER") or None,
            imap_password=env.get("EMAIL_IMAP_PASSWORD") or None,
            imap_tls=tls,
            imap_ca_file=env.get("EMAIL_IMAP_CA_FILE") or None,
            mailbox=env.get("EMAIL_MAILBOX") or cls.mailbox,
            address=(env.get("EMAIL_ADDRESS") or "").strip().lower() or None,
            poll_seconds=_float(env, "EMAIL_POLL_SECONDS", cls.poll_seconds),
            idle=(env.get("EMAIL_IDLE") or "true").lower() not in ("0", "false", "no"),
            autostart=(env.get("EMAIL_AUTOSTART") or "true").lower() not in ("0", "false", "no"),
            batch_size=_int(env, "EMAIL_BATCH_SIZE", cls.batch_size),
            turn_attempts=_int(env, "EMAIL_TURN_ATTEMPTS", cls.turn_attempts),
            turn_retry_seconds=_float(env, "EMAIL_TURN_RETRY_SECONDS", cls.turn_retry_seconds),
            sweep_seconds=_float(env, "EMAIL_SWEEP_SECONDS", cls.sweep_seconds),
            quote_messages=_int(env, "EMAIL_QUOTE_MESSAGES", cls.quote_messages),
            lease_seconds=_float(env, "EMAIL_LEASE_SECONDS", cls.lease_seconds),
        )


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible chat endpoint (assistant/llm/): OpenAI, Azure OpenAI, vLLM, Ollama,
    llama.cpp's server. Without LLM_BASE_URL and LLM_MODEL no LLM is called and every answer
    is deterministic (knowledge-base passages and templates)."""

    base_url: Optional[str] = None
    model: Optional[str] = None
    api_key: Optional[str] = field(default=None, repr=False)
    timeout_seconds: float = 4.0  # one HTTP request
    max_tokens: int = 300
    max_attempts: int = 3  # tries of one call on 429, 5xx, timeouts and lost connections
    retry_base_seconds: float = 0.25  # first backoff, doubling, with jitter
    turn_deadline_seconds: float = 6.0  # all LLM calls of one turn together
    breaker_failures: int = 3  # failed calls in a row that open the circuit breaker
    breaker_reset_seconds: float = 30.0  # how long an open breaker stops calling
    prompt_cost_per_1k: float = 0.00015  # USD per 1,000 prompt tokens, for the analytics
    completion_cost_per_1k: float = 0.0006  # USD per 1,000 completion tokens

    def __post_init__(self) -> None:
        if self.base_url and not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", self.base_url):
            raise ConfigError(f"LLM_BASE_URL must be an http(s) URL, got {self.base_url!r}")
        _check_positive(self, ("timeout_seconds", "max_tokens", "max_attempts", "retry_base_seconds",
                               "turn_deadline_seconds", "breaker_failures", "breaker_reset_seconds"),
                        prefix="LLM_")  # fmt: skip

    @property
    def configured(self) -> bool:
        """Whether an endpoint and a model are set."""
        return bool(self.base_url and self.model)

    @classmethod
    def from_env(cls, env: Mapping[str, str], turn_timeout: float = 10.0) -> LLMSettings:
        """``turn_timeout``: the channels' turn deadline; unset, the LLM's is 60 % of it (6 s at most)."""
        deadline = min(cls.turn_deadline_seconds, 0.6 * turn_timeout)
        return cls(
            base_url=(env.get("LLM_BASE_URL") or "").rstrip("/") or None,
            model=env.get("LLM_MODEL") or None,
            api_key=env.get("LLM_API_KEY") or None,
            timeout_seconds=_float(env, "LLM_TIMEOUT_SECONDS", cls.timeout_seconds),
            max_tokens=_int(env, "LLM_MAX_TOKENS", cls.max_tokens),
            max_attempts=_int(env, "LLM_MAX_ATTEMPTS", cls.max_attempts),
            retry_base_seconds=_float(env, "LLM_RETRY_BASE_SECONDS", cls.retry_base_seconds),
            turn_deadline_seconds=_float(env, "LLM_TURN_DEADLINE_SECONDS", deadline),
            breaker_failures=_int(env, "LLM_BREAKER_FAILURES", cls.breaker_failures),
            breaker_reset_seconds=_float(env, "LLM_BREAKER_RESET_SECONDS", cls.breaker_reset_seconds),
            prompt_cost_per_1k=_float(env, "LLM_PROMPT_COST_PER_1K", cls.prompt_cost_per_1k),
            completion_cost_per_1k=_float(env, "LLM_COMPLETION_COST_PER_1K", cls.completion_cost_per_1k),
        )


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
    # Reliability (issue 7): how long a turn may take, how long a lost connection to
    # PostgreSQL or Redis is retried inside it, what a client is told to wait before retrying.
    turn_timeout_seconds: float = 10.0
    store_retry_seconds: float = 5.0
    retry_after_seconds: int = 2
    health_timeout_seconds: float = 1.0
    # The REST webhook's body (channels/rest.py).
    rest_max_message_chars: int = 5000
    rest_max_metadata_bytes: int = 4096
    rest_max_body_bytes: int = 65536
    # Interface the action server binds to (SANIC_HOST): loopback unless told otherwise.
    action_server_host: str = "127.0.0.1"
    # The WhatsApp channel (issue 11): WHATSAPP_* variables.
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    # The e-mail channel (issue 12): EMAIL_* variables.
    email: EmailSettings = field(default_factory=EmailSettings)
    # The LLM (issue 13): LLM_* variables; not configured means deterministic answers.
    llm: LLMSettings = field(default_factory=LLMSettings)
    # The admin API (admin_api/) and what it shares with the web channel and the Rasa server.
    admin_api_host: str = "127.0.0.1"
    admin_api_port: int = 8080
    jwt_secret: Optional[str] = None  # WEBCHAT_JWT_SECRET: customers' tokens work on the web channel
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 20
    login_window_minutes: int = 15
    admin_email: str = "admin@northwind.example"
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_auth_token: Optional[str] = None
    rasa_timeout_seconds: float = 30.0
    # Handoff: opening hours of the support team, how often a queued customer is told where
    # they stand, the rough minutes an agent spends per customer, how long a signed-in agent
    # counts as present after their last request.
    support_hours: str = "Mon-Fri 08:00-20:00, Sat 09:00-17:00"
    support_timezone: str = "Europe/Berlin"
    queue_notice_seconds: int = 120
    minutes_per_customer: int = 4
    agent_presence_minutes: int = 10
    # Long-term memory (assistant/memory): its Redis cache (with REDIS_URL) and how long a
    # conversation is silent before it is summarised into memory.
    memory_cache_prefix: str = "memory"
    memory_cache_seconds: int = 3600
    memory_idle_minutes: int = 60
    # Operations (issue 10): the action server /health probes, requests per caller and window.
    action_server_url: str = "http://127.0.0.1:5055"
    rate_limit_requests: int = 1000
    rate_limit_window_seconds: int = 900
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
        _check_positive(self, ("turn_timeout_seconds", "store_retry_seconds", "retry_after_seconds",
                               "health_timeout_seconds", "rest_max_message_chars",
                               "rest_max_metadata_bytes", "rest_max_body_bytes"))  # fmt: skip
        if self.store_retry_seconds >= self.turn_timeout_seconds:
            raise ConfigError("STORE_RETRY_SECONDS must be shorter than TURN_TIMEOUT_SECONDS")
        _check_positive(self, ("admin_api_port", "access_token_minutes", "refresh_token_days",
                               "login_failures_per_account", "login_failures_per_ip",
                               "login_window_minutes", "rasa_timeout_seconds", "queue_notice_seconds",
                               "minutes_per_customer", "agent_presence_minutes",
                               "memory_cache_seconds", "memory_idle_minutes", "rate_limit_requests",
                               "rate_limit_window_seconds"))  # fmt: skip
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ConfigError("WEBCHAT_JWT_SECRET must be at least 32 characters (HS256)")
        _check_scheme("RASA_URL", self.rasa_url, ("http", "https"))
        _check_scheme("ACTION_SERVER_URL", self.action_server_url, ("http", "https"))
        _check_hours(self.support_hours, self.support_timezone)
        if self.llm.turn_deadline_seconds >= self.turn_timeout_seconds:
            raise ConfigError("LLM_TURN_DEADLINE_SECONDS must be shorter than TURN_TIMEOUT_SECONDS")

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
            turn_timeout_seconds=_float(env, "TURN_TIMEOUT_SECONDS", cls.turn_timeout_seconds),
            store_retry_seconds=_float(env, "STORE_RETRY_SECONDS", cls.store_retry_seconds),
            retry_after_seconds=_int(env, "RETRY_AFTER_SECONDS", cls.retry_after_seconds),
            health_timeout_seconds=_float(env, "HEALTH_TIMEOUT_SECONDS", cls.health_timeout_seconds),
            rest_max_message_chars=_int(env, "REST_MAX_MESSAGE_CHARS", cls.rest_max_message_chars),
            rest_max_metadata_bytes=_int(env, "REST_MAX_METADATA_BYTES", cls.rest_max_metadata_bytes),
            rest_max_body_bytes=_int(env, "REST_MAX_BODY_BYTES", cls.rest_max_body_bytes),
            action_server_host=env.get("SANIC_HOST") or cls.action_server_host,
            whatsapp=WhatsAppSettings.from_env(env),
            memory_cache_prefix=env.get("MEMORY_CACHE_PREFIX", cls.memory_cache_prefix),
            memory_cache_seconds=_int(env, "MEMORY_CACHE_SECONDS", cls.memory_cache_seconds),
            memory_idle_minutes=_int(env, "MEMORY_IDLE_MINUTES", cls.memory_idle_minutes),
            email=EmailSettings.from_env(env),
            llm=LLMSettings.from_env(env, _float(env, "TURN_TIMEOUT_SECONDS", cls.turn_timeout_seconds)),
            **_admin_api_settings(env),
        )


def _admin_api_settings(env: Mapping[str, str]) -> dict:
    """The admin API's and the handoff's settings (see the README's configuration table)."""
    rasa_port = _int(env, "RASA_PORT", 5005)
    return dict(
        admin_api_host=env.get("ADMIN_API_HOST") or Settings.admin_api_host,
        admin_api_port=_int(env, "ADMIN_API_PORT", Settings.admin_api_port),
        jwt_secret=env.get("WEBCHAT_JWT_SECRET") or None,
        access_token_minutes=_int(env, "ACCESS_TOKEN_MINUTES", Settings.access_token_minutes),
        refresh_token_days=_int(env, "REFRESH_TOKEN_DAYS", Settings.refresh_token_days),
        login_failures_per_account=_int(
            env, "LOGIN_FAILURES_PER_ACCOUNT", Settings.login_failures_per_account
        ),
        login_failures_per_ip=_int(env, "LOGIN_FAILURES_PER_IP", Settings.login_failures_per_ip),
        login_window_minutes=_int(env, "LOGIN_WINDOW_MINUTES", Settings.login_window_minutes),
        admin_email=env.get("ADMIN_EMAIL") or Settings.admin_email,
        rasa_url=(env.get("RASA_URL") or f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        rasa_auth_token=env.get("RASA_AUTH_TOKEN") or None,
        rasa_timeout_seconds=_float(env, "RASA_TIMEOUT_SECONDS", Settings.rasa_timeout_seconds),
        support_hours=env.get("SUPPORT_HOURS") or Settings.support_hours,
        support_timezone=env.get("SUPPORT_TIMEZONE") or Settings.support_timezone,
        queue_notice_seconds=_int(env, "QUEUE_NOTICE_SECONDS", Settings.queue_notice_seconds),
        minutes_per_customer=_int(env, "MINUTES_PER_CUSTOMER", Settings.minutes_per_customer),
        agent_presence_minutes=_int(env, "AGENT_PRESENCE_MINUTES", Settings.agent_presence_minutes),
        action_server_url=(env.get("ACTION_SERVER_URL") or Settings.action_server_url).rstrip("/"),
        rate_limit_requests=_int(env, "RATE_LIMIT_REQUESTS", Settings.rate_limit_requests),
        rate_limit_window_seconds=_int(env, "RATE_LIMIT_WINDOW_SECONDS", Settings.rate_limit_window_seconds),
    )


def _check_hours(hours: str, timezone: str) -> None:
    from assistant.conversations.hours import HoursError, parse_hours

    try:
        parse_hours(hours, timezone)
    except HoursError as exc:
        raise ConfigError(f"SUPPORT_HOURS / SUPPORT_TIMEZONE: {exc}") from exc


def _check_scheme(name: str, url: str, schemes: tuple) -> None:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in schemes:
        raise ConfigError(f"{name} must start with one of {schemes}, got {url.split(':', 1)[0]!r}")


def _check_positive(settings: object, names: tuple, prefix: str = "") -> None:
    for name in names:
        if not getattr(settings, name) > 0:
            raise ConfigError(
                f"{prefix}{name.upper()} must be greater than 0, got {getattr(settings, name)!r}"
            )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


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
