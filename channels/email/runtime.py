"""The channel's collaborators in one process: settings, store, worker and listener, built when
the channel's blueprint is made (at server start, never at import) and stopped with the server."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, List, Optional, Tuple

from rasa.core.agent import Agent

from assistant.settings import Settings
from assistant.store import Store, get_store
from channels.email import inbox
from channels.email.listener import Listener
from channels.email.replies import Reply
from channels.email.worker import Worker, db, reply_to


class Runtime:
    def __init__(self, settings: Settings, store: Optional[Store] = None) -> None:
        self.settings = settings
        self._store = store
        self.app: Any = None
        self.worker = Worker(settings, lambda: self.store, self.agent)
        self.listener = Listener(settings.email, self.worker)
        self._delivery: Optional[asyncio.Task] = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = get_store()
        return self._store

    @property
    def configured(self) -> bool:
        return self.settings.email.configured

    def agent(self) -> Optional[Agent]:
        return getattr(getattr(self.app, "ctx", None), "agent", None)

    async def start(self) -> None:
        """The outbox delivery (and retry) loop, and the listener when configured to start."""
        if self._delivery is None and self.configured:  # (``/send`` delivers by itself)
            self._delivery = asyncio.get_running_loop().create_task(self.worker.deliver_forever())
        if self.configured and self.settings.email.autostart:
            self.listener.start()

    async def stop(self) -> None:
        await self.listener.stop()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
            self._delivery = None

    async def send(self, conversation_id: str, paragraphs: List[str], author: str = "bot",
                   to: Optional[str] = None, subject: Optional[str] = None,
                   reply_address: Optional[str] = None) -> Optional[Tuple[Reply, int]]:  # fmt: skip
        """Queues a message in ``conversation_id``'s thread (as a reply to its last message);
        returns it with its outbox row's id, or None when there is no address to write to."""
        last = await db(inbox.last_message, self.store, conversation_id)
        address = to or (last.address if last is not None else None)
        if not address:
            return None
        in_reply_to = last.message_id if last is not None else None
        references = list((last.details or {}).get("references") or []) if last is not None else []
        reply = await db(reply_to, self.store, self.settings, conversation_id, address,
                         subject or (last.subject if last is not None else ""), in_reply_to, references,
                         paragraphs, author)  # fmt: skip
        if reply_address:
            reply.headers["Reply-To"] = reply_address
        outbound_id = await db(inbox.queue_new, self.store, reply)
        self.worker.kick_outbox()
        return reply, outbound_id
