"""What the channels that work in the background (WhatsApp, e-mail) share: a blueprint that also
adds the seed API's routes to the app (outside the webhook's prefix) and starts the channel's
runtime (workers, listeners, delivery loops) with the server and stops it before the server
stops."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Callable, Dict, Protocol, Tuple

from sanic import Blueprint, Sanic


class Runtime(Protocol):
    app: Any

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


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
