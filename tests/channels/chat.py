"""A real python-socketio client for the tests: records every event it receives and waits for
the ones a test expects."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

import socketio

from channels.auth import issue_token

SECRET = "channel-tests-secret-0123456789abcdef"  # 36 bytes: long enough for HS256
Event = Tuple[str, Any]


def token(
    user_id: str, role: str = "customer", name: Optional[str] = None, ttl: int = 600, secret: str = SECRET
) -> str:
    return issue_token(secret, user_id, role, name=name, ttl=ttl)


def new_conversation() -> str:
    return f"ws-{uuid.uuid4().hex[:16]}"


class ChatClient:
    """One socket.io connection on loopback, with everything it received kept in order."""

    def __init__(
        self, url: str, auth: Optional[Dict[str, str]] = None, headers: Optional[Dict[str, str]] = None
    ):
        self.url, self.auth, self.headers = url, auth, headers or {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: List[Event] = []
        self.connect_errors: List[Any] = []
        self._changed = asyncio.Event()
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._refused)

    async def _record(self, event: str, *args: Any) -> None:
        self.events.append((event, args[0] if len(args) == 1 else args))
        self._changed.set()

    async def _refused(self, data: Any) -> None:
        self.connect_errors.append(data)

    async def connect(self) -> ChatClient:
        await self.sio.connect(
            self.url, auth=self.auth, headers=self.headers, transports=["websocket"], wait_timeout=10
        )
        return self

    async def expect_refusal(self, timeout: float = 10) -> Dict[str, Any]:
        """Connects expecting the server to refuse; returns the refusal's ``data``. (The 5.9
        client would wait its whole ``wait_timeout`` after a refusal, so it does not wait.)"""
        await self.sio.connect(
            self.url, auth=self.auth, headers=self.headers, transports=["websocket"], wait=False
        )
        deadline = time.monotonic() + timeout
        while not self.connect_errors and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await self.sio.disconnect()
        assert self.connect_errors, f"the server accepted the connection; got {self.names()}"
        return self.connect_errors[0]["data"]

    async def emit(self, event: str, data: Any = None) -> None:
        await self.sio.emit(event, data)

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Any:
        """Emits ``event`` and returns the server's acknowledgement."""
        return await self.sio.call(event, data, timeout=timeout)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    def received(self, event: str, where: Callable[[Any], bool] = lambda _: True) -> List[Any]:
        return [data for name, data in self.events if name == event and where(data)]

    async def wait_for(
        self, event: str, where: Callable[[Any], bool] = lambda _: True, timeout: float = 30, count: int = 1
    ) -> List[Any]:
        """The first ``count`` events named ``event`` matching ``where``; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.received(event, where)
            if len(found) >= count:
                return found[:count]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {count}x {event!r} within {timeout}s; got {self.names()}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def names(self) -> List[str]:
        return [name for name, _ in self.events]

    # the conversation protocol

    async def join(self, conversation_id: str) -> Dict[str, Any]:
        await self.emit("join_conversation", {"conversation_id": conversation_id})
        joined = await self.wait_for("conversation_joined", lambda d: d["conversation_id"] == conversation_id)
        return joined[0]

    async def send(self, conversation_id: str, content: str) -> None:
        await self.emit("message_send", {"conversation_id": conversation_id, "content": content})

    def messages(self, conversation_id: str, sender_role: Optional[str] = None) -> List[Dict[str, Any]]:
        found = [d["message"] for d in self.received("message_received")]
        return [
            m
            for m in found
            if m["conversation_id"] == conversation_id and sender_role in (None, m["sender"]["role"])
        ]

    async def bot_reply(self, conversation_id: str, containing: str, timeout: float = 30) -> Dict[str, Any]:
        def matches(data: Any) -> bool:
            message = data["message"]
            return (
                message["conversation_id"] == conversation_id
                and message["sender"]["role"] == "bot"
                and containing in message["content"]
            )

        return (await self.wait_for("message_received", matches, timeout))[0]["message"]


async def connect(
    url: str, user: Optional[str] = None, role: str = "customer", headers: Optional[Dict[str, str]] = None
) -> ChatClient:
    """A connected client: signed in as ``user`` with ``role``, or anonymous when ``user`` is None."""
    auth = {"token": token(user, role, name=user.title())} if user else None
    return await ChatClient(url, auth=auth, headers=headers).connect()
