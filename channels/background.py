"""What the channels that work in the background (WhatsApp, e-mail) share: a blueprint that also
adds the seed API's routes to the app (outside the webhook's prefix) and starts the channel's
runtime (workers, listeners, delivery loops) with the server and stops it before the server
stops; one lock per conversation; and what happens to a stored message whose turn failed (why,
and whether and when it is tried again)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Callable, Dict, Optional, Protocol, Tuple

import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel
from rasa.core.lock_store import LockError
from sanic import Blueprint, Sanic

from assistant.retry import is_transient
from assistant.store import Store
from assistant.store.models import utcnow
from assistant.turn_failure import TurnFailed
from channels.errors import ConfigurationError
from channels.turns import AssistantNotReady

MAX_RETRY_SECONDS = 300.0  # the longest wait before a failed turn is tried again


class Runtime(Protocol):
    app: Any

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class BackgroundInput(InputChannel):
    """An input channel set up from the environment (``<ENV_PREFIX>_*``), not credentials.yml;
    its runtime is built when Rasa asks for the blueprint (tests pass one in)."""

    ENV_PREFIX = ""

    def __init__(self, runtime: Any = None) -> None:
        self.runtime = runtime

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        if credentials:
            raise ConfigurationError(f"{cls.name()}: credentials.yml takes no values for this channel; set "
                                     f"the {cls.ENV_PREFIX}_* environment variables instead")  # fmt: skip
        return cls()


class BackgroundBlueprint(Blueprint):
    """A channel's blueprint whose registration also calls ``add_routes(app, runtime)`` and ties
    ``runtime``'s start and stop to the server's."""

    def __init__(self, runtime: Runtime, add_routes: Callable[[Sanic, Any], None], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ctx.runtime, self.ctx.add_routes = runtime, add_routes

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        runtime: Runtime = self.ctx.runtime
        runtime.app = app
        self.ctx.add_routes(app, runtime)

        async def start_runtime(_app: Any, _loop: Any) -> None:
            await runtime.start()

        async def stop_runtime(_app: Any, _loop: Any) -> None:
            await runtime.stop()

        app.register_listener(start_runtime, "after_server_start")
        app.register_listener(stop_runtime, "before_server_stop")
        super().register(app, options)


class ConversationLocks:
    """One lock per conversation, kept only while someone holds or waits for it: a
    conversation's messages run one at a time, in the order their tasks asked."""

    def __init__(self) -> None:
        self._locks: Dict[str, Tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users <= 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)


class Claimed(Protocol):
    """A stored inbound message this process holds (``claim``: its lease) and is answering."""

    @property
    def id(self) -> int: ...

    @property
    def claim(self) -> Optional[datetime]: ...

    @property
    def attempts(self) -> int: ...


def failure_reason(error: BaseException) -> Tuple[str, bool]:
    """Why a turn failed, and whether trying again later can succeed."""
    if isinstance(error, TurnFailed):
        return error.code.lower(), error.retryable
    if isinstance(error, asyncio.TimeoutError):
        return "timeout", True
    if isinstance(error, AssistantNotReady):
        return "not_ready", True
    if isinstance(error, LockError):
        return "conversation_busy", True
    if is_transient(error):
        return "store_unavailable", True
    return "internal_error", False


def failure_record(reason: str, error: BaseException) -> Dict[str, Any]:
    """The error as stored with the message (and shown in the seed API)."""
    return {"code": reason, "title": str(error)[:255] or type(error).__name__}


def retry_delay(base_seconds: float, attempts: int) -> float:
    """Exponential backoff from ``base_seconds``, at most ``MAX_RETRY_SECONDS``."""
    return min(base_seconds * 2**attempts, MAX_RETRY_SECONDS)


def retry_later(
    store: Store, table: Any, work: Claimed, error: Dict[str, Any], delay: float, attempts: int
) -> bool:
    """Gives the message (a row of ``table``) back for another try after ``delay`` seconds;
    False when it has had ``attempts`` tries already (then the caller fails it)."""
    if work.attempts + 1 >= attempts:
        return False
    with store.session() as s:
        s.execute(
            sa.update(table)
            .where(table.id == work.id, table.claimed_until == work.claim)
            .values(
                attempts=work.attempts + 1,
                error=error,
                claimed_until=None,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
            )  # fmt: skip
        )
    return True
