"""The channel's collaborators in one process: settings, store, Graph API client, sender and
background worker, built when the channel's blueprint is made (at server start, never at
import) and closed when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Optional

from rasa.core.agent import Agent

from assistant.settings import Settings
from assistant.store import Store, get_store
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.sender import Sender
from channels.whatsapp.worker import Worker


class Runtime:
    def __init__(self, settings: Settings, store: Optional[Store] = None) -> None:
        self.settings = settings
        self._store = store
        self._sender: Optional[Sender] = None
        self.app: Any = None
        self.client = GraphClient(settings.whatsapp)
        self.worker = Worker(settings, lambda: self.store, self.client, lambda: self.sender, self.agent)
        self._sweeper: Optional[asyncio.Task] = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = get_store()
        return self._store

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            self._sender = Sender(self.client, self.store, self.settings.whatsapp)
        return self._sender

    def agent(self) -> Optional[Agent]:
        return getattr(getattr(self.app, "ctx", None), "agent", None)

    async def start(self) -> None:
        """Starts the sweep that retries due turns and resends what a dead process left."""
        if self.settings.whatsapp.configured and self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self.worker.sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await self.worker.close()
        await self.client.close()
