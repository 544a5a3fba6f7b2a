"""The socket.io side of the web channel: who may connect, who may join which conversation,
and the events of both protocols (rasa-webchat's ``session_request``/``user_uttered``, and the
conversation events of the seed API). Messages go through :class:`ConversationRooms`."""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Tuple

from rasa.shared.core.events import UserUttered
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from assistant.identity import links
from assistant.identity.claims import CLAIM_KEY, issue_claim
from assistant.identity.permissions import ANONYMOUS, IdentityState
from assistant.identity.secret import identity_secret
from assistant.redaction import redact, redact_data
from assistant.settings import get_settings
from assistant.store import get_store
from channels import access
from channels import messages as msgs
from channels.auth import Identity, anonymous_identity, client_ip, decode_token, token_from
from channels.config import WebChatConfig
from channels.errors import AuthError, ChannelError, ForbiddenError, RateLimitError, ValidationError
from channels.event_input import json_object, message_id_of, required_field, valid_conversation_id
from channels.rooms import ConversationRooms, events_room, from_other_channel, widget_room
from channels.state import ChannelState, ConnectionCounter, MemoryState
from channels.turns import turn_error

ANONYMOUS_OWNER = "anonymous"  # owner of a conversation an anonymous visitor started (key holders)
RESERVED_METADATA = (CLAIM_KEY, msgs.SENDER_KEY, "message_id")

logger = logging.getLogger(__name__)


async def maybe_await(result: Any) -> Any:
    """``enter_room``/``leave_room`` are plain methods in python-socketio 5.9 and coroutines
    from 5.10 on (Rasa 3.6's own channel forgets to await them); this works with both."""
    return await result if inspect.isawaitable(result) else result


@dataclass
class SocketState:
    """What this process knows about one connected socket: who is on it (``identity``) and,
    for a signed-in customer, which store customer that is (``customer``)."""

    identity: Identity
    address: str
    customer: IdentityState = ANONYMOUS
    conversations: Set[str] = field(default_factory=set)


class WebChatHub:
    """Handles the socket.io events of one Rasa process and emits into conversations."""

    def __init__(
        self, sio: AsyncServer, config: WebChatConfig, state: ChannelState, rooms: ConversationRooms
    ):
        self.sio = sio
        self.config = config
        self.state = state
        self.rooms = rooms
        self.connections = ConnectionCounter(config.connections_per_ip)
        self.sockets: Dict[str, SocketState] = {}
        self.event_windows = MemoryState()

    def register_handlers(self) -> None:
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        handlers = {
            "session_request": self.on_session_request,
            "user_uttered": self.on_user_uttered,
            "join_conversation": self.on_join,
            "leave_conversation": self.on_leave,
            "typing_start": lambda sid, data: self.on_typing(sid, data, "typing_start"),
            "typing_stop": lambda sid, data: self.on_typing(sid, data, "typing_stop"),
            "message_send": self.on_message_send,
        }
        for event, handler in handlers.items():
            self.sio.on(event, self._guarded(event, handler))

    def _guarded(
        self, event: str, handler: Callable[[str, Any], Awaitable[Any]]
    ) -> Callable[..., Awaitable[Dict[str, Any]]]:
        """Turns any failure of ``handler`` into an ``error`` event for the sender. The result is
        also the event's acknowledgement (for clients that ask for one): ``{"ok": true}`` or
        ``{"ok": false, "error": {...}}``, which reaches the sender even when Redis is down."""

        async def run(sid: str, *args: Any) -> Dict[str, Any]:
            data = args[0] if args else None
            try:
                await self._pace(sid)
                await handler(sid, data)
                return {"ok": True}
            except ChannelError as exc:
                return await self.emit_error(sid, exc, event, data)
            except Exception as exc:  # a lost connection to Redis may pass: sending again can work
                error = turn_error(exc, get_settings().retry_after_seconds, f"webchat {event} from {sid}")
                return await self.emit_error(sid, error, event, data)

        return run

    async def _pace(self, sid: str) -> None:
        """Events per minute of one socket (typing, joins, messages ...), in this process."""
        limit = self.config.events_per_minute
        retry_after = await self.event_windows.hit(sid, limit, 60.0)
        if retry_after is not None:
            details = {"limit": limit, "window": "1 minute", "retry_after": math.ceil(retry_after)}
            raise RateLimitError("Too many events from this connection", details)

    async def emit_error(self, sid: str, error: ChannelError, event: str, data: Any = None) -> Dict[str, Any]:
        """Tells the sender what failed. A message that was not answered comes back with its
        ``message_id`` and (masked) text, and ``retryable``, so the client can send it again.
        Sent straight to the socket (it is on this process), not through the Redis queue,
        which may be what is down."""
        payload: Dict[str, Any] = {**error.to_payload(), "event": event}
        retry_after = getattr(error, "retry_after", None)
        payload["retryable"] = retry_after is not None
        if retry_after is not None:
            payload["details"] = {**payload["details"], "retry_after": retry_after}
        if event in ("message_send", "user_uttered") and isinstance(data, dict):
            text = data.get("content") if event == "message_send" else data.get("message")
            payload["message"] = {"message_id": data.get("message_id"),
                                  "text": redact(text) if isinstance(text, str) else None}  # fmt: skip
        try:
            await self.sio.emit("error", payload, to=sid, ignore_queue=True)
        except Exception:
            logger.warning("webchat: could not tell %s about a failed %s", sid, event, exc_info=True)
        return {"ok": False, "error": payload}

    # connection

    async def on_connect(self, sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        try:
            identity = self.authenticate(auth, environ)
        except AuthError as exc:
            raise SocketRefused(exc.message, exc.to_payload()) from exc
        customer = await self._customer_of(identity)
        address = self._address(environ)
        if not self.connections.acquire(address):
            error = RateLimitError(
                "Too many connections from this address", {"limit": self.config.connections_per_ip}
            )
            raise SocketRefused(error.message, error.to_payload())
        self.sockets[sid] = SocketState(identity, address, customer)

    async def _customer_of(self, identity: Identity) -> IdentityState:
        """The store customer a signed-in web login is linked to (assistant.identity.links)."""
        if identity.anonymous or identity.is_agent:
            return ANONYMOUS
        try:
            return await asyncio.to_thread(links.resolve, get_store(), links.WEBCHAT, identity.id, "jwt")
        except Exception as exc:
            logger.exception("webchat: could not look up the customer of %s", identity.id)
            error = ChannelError("The assistant is not ready yet", code="SERVICE_UNAVAILABLE")
            raise SocketRefused(error.message, error.to_payload()) from exc

    def authenticate(self, auth: Any, environ: Dict[str, Any]) -> Identity:
        token = token_from(auth, environ)
        if token:
            return decode_token(token, self.config.jwt_secret, self.config.jwt_algorithm)
        if self.config.allow_anonymous:
            return anonymous_identity()
        raise AuthError("Authentication required", {"reason": "no token"})

    def _address(self, environ: Dict[str, Any]) -> str:
        request = environ.get("sanic.request")
        remote = getattr(request, "ip", None) or environ.get("REMOTE_ADDR", "unknown")
        return client_ip(remote, environ.get("HTTP_X_FORWARDED_FOR"), self.config.trusted_proxies)

    async def on_disconnect(self, sid: str) -> None:
        socket = self.sockets.pop(sid, None)
        if socket is None:
            return
        self.connections.release(socket.address)
        for conversation_id in list(socket.conversations):
            try:
                await self._depart(sid, socket, conversation_id)
            except Exception:
                logger.exception("webchat: cleaning up %s in %s failed", sid, conversation_id)

    def _socket(self, sid: str) -> SocketState:
        socket = self.sockets.get(sid)
        if socket is None:
            raise AuthError("Not connected")
        return socket

    # rooms

    async def _enter(
        self, sid: str, conversation_id: str, widget: bool, key: Optional[str] = None
    ) -> SocketState:
        socket = self._socket(sid)
        await self._authorize(socket.identity, conversation_id, key)
        room = widget_room(conversation_id) if widget else events_room(conversation_id)
        await maybe_await(self.sio.enter_room(sid, room))
        if conversation_id in socket.conversations:
            return socket
        socket.conversations.add(conversation_id)
        present = await self._is_present(conversation_id, socket.identity.id)
        await self.state.add_participant(conversation_id, sid, socket.identity)
        if not present:
            joined = {"conversation_id": conversation_id, "user": socket.identity.public()}
            await self.sio.emit("user_joined", joined, room=events_room(conversation_id), skip_sid=sid)
        return socket

    async def _is_present(self, conversation_id: str, user_id: str) -> bool:
        """Whether another socket of ``user_id`` (another tab) is in the conversation."""
        return any(person["id"] == user_id for person in await self.state.participants(conversation_id))

    async def _authorize(self, identity: Identity, conversation_id: str, key: Optional[str]) -> None:
        """Agents join any conversation. A signed-in customer owns the conversations they start
        (or join first); an anonymous visitor owns the one they start and proves it later with
        its access key (channels/access.py); knowing an id is never enough. Customers never join
        a conversation held through another channel (REST, WhatsApp ...)."""
        if identity.is_agent:
            return
        tracker = await self.rooms.full_tracker(conversation_id)
        if from_other_channel(tracker):
            raise ForbiddenError("This conversation is not a web chat", {"conversation_id": conversation_id})
        if access.key_is_valid(self.secret, conversation_id, key):
            return
        owner = await self.state.owner(conversation_id)
        wanted = ANONYMOUS_OWNER if identity.anonymous else identity.id
        if owner is None and (tracker is None or not tracker.events or _written_by(tracker, wanted)):
            owner = await self.state.claim_owner(conversation_id, wanted)
            if owner == wanted:
                return
        if identity.anonymous or owner != identity.id:
            raise ForbiddenError(
                "This conversation belongs to someone else", {"conversation_id": conversation_id}
            )

    @property
    def secret(self) -> bytes:
        return identity_secret(get_settings())

    async def _depart(self, sid: str, socket: SocketState, conversation_id: str) -> None:
        socket.conversations.discard(conversation_id)
        for room in (events_room(conversation_id), widget_room(conversation_id)):
            await maybe_await(self.sio.leave_room(sid, room))
        await self.state.remove_participant(conversation_id, sid)
        if not await self._is_present(conversation_id, socket.identity.id):
            left = {"conversation_id": conversation_id, "user_id": socket.identity.id}
            await self.sio.emit("user_left", left, room=events_room(conversation_id))

    def _member_conversation(self, sid: str, data: Any) -> Tuple[SocketState, str]:
        socket = self._socket(sid)
        conversation_id = valid_conversation_id(required_field(data, "conversation_id"))
        if conversation_id not in socket.conversations:
            raise ForbiddenError("Join the conversation first", {"conversation_id": conversation_id})
        return socket, conversation_id

    # rasa-webchat protocol

    async def on_session_request(self, sid: str, data: Any) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        conversation_id, key = (
            access.split_session_id(requested) if isinstance(requested, str) else ("", None)
        )
        conversation_id = valid_conversation_id(conversation_id or uuid.uuid4().hex)
        await self._enter(sid, conversation_id, widget=True, key=key)
        await self.sio.emit(
            "session_confirm",
            access.widget_session_id(self.secret, conversation_id),
            to=sid,
            ignore_queue=True,
        )  # the socket is ours: no need for the Redis queue

    async def on_user_uttered(self, sid: str, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            raise ValidationError(
                "user_uttered needs the session_id of a session_request", {"field": "session_id"}
            )
        conversation_id, _ = access.split_session_id(data["session_id"])
        socket, conversation_id = self._member_conversation(sid, {"conversation_id": conversation_id})
        text = data.get("message", "")
        if not isinstance(text, str):
            raise ValidationError("message must be text", {"field": "message"})
        metadata = data.get("customData") or data.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json_object(metadata)
        if not isinstance(metadata, dict):
            raise ValidationError("customData must be an object", {"field": "customData"})
        await self.route_message(
            socket, conversation_id, text, metadata, message_id=message_id_of(data), sid=sid
        )

    # conversation protocol

    async def on_join(self, sid: str, data: Any) -> None:
        requested = data.get("conversation_id") if isinstance(data, dict) else None
        key = data.get("access_key") if isinstance(data, dict) else None
        conversation_id = valid_conversation_id(requested or uuid.uuid4().hex)
        socket = await self._enter(sid, conversation_id, widget=False, key=key)
        history, status = await self.rooms.history(await self.rooms.full_tracker(conversation_id))
        participants = [self.rooms.bot] + await self.state.participants(conversation_id)
        joined = {
            "conversation_id": conversation_id,
            "participants": participants,
            "messages": history,
            "status": status,
        }
        if not socket.identity.is_agent:  # the key that lets this browser come back
            joined["access_key"] = access.access_key(self.secret, conversation_id)
        # Straight to the socket (it is on this process): a join works while the Redis queue
        # is down or its listener is reconnecting.
        await self.sio.emit("conversation_joined", joined, to=sid, ignore_queue=True)

    async def on_leave(self, sid: str, data: Any) -> None:
        socket = self._socket(sid)
        conversation_id = valid_conversation_id(required_field(data, "conversation_id"))
        if conversation_id in socket.conversations:
            await self._depart(sid, socket, conversation_id)
        await self.sio.emit(
            "conversation_left", {"conversation_id": conversation_id}, to=sid, ignore_queue=True
        )

    async def on_typing(self, sid: str, data: Any, event: str) -> None:
        socket, conversation_id = self._member_conversation(sid, data)
        user = {"id": socket.identity.id, "name": socket.identity.name}
        payload = {"conversation_id": conversation_id, "user": user}
        await self.sio.emit(event, payload, room=events_room(conversation_id), skip_sid=sid)

    async def on_message_send(self, sid: str, data: Any) -> None:
        socket, conversation_id = self._member_conversation(sid, data)
        content = data.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ValidationError("content must be non-empty text", {"field": "content"})
        attachments = data.get("attachments")
        metadata = {"attachments": attachments} if isinstance(attachments, list) and attachments else {}
        await self.route_message(
            socket, conversation_id, content, metadata, message_id=message_id_of(data), sid=sid
        )

    # messages

    async def route_message(
        self,
        socket: SocketState,
        conversation_id: str,
        content: str,
        metadata: Dict[str, Any],
        message_id: Optional[str] = None,
        sid: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Masks card numbers and IBANs before anyone sees the message, then hands it on: a
        customer's with the signed claim of who they are (assistant.identity.claims) and the
        client's ``message_id``, which makes sending it again safe."""
        content, identity = redact(content), socket.identity
        if identity.is_agent:
            return await self.rooms.agent_message(identity, conversation_id, content)
        metadata = redact_data(
            {key: value for key, value in metadata.items() if key not in RESERVED_METADATA}
        )
        metadata[CLAIM_KEY] = self._claim(socket, conversation_id)
        return await self.rooms.customer_message(
            identity, conversation_id, content, metadata, message_id, sid
        )

    async def post_as_customer(
        self, identity: Identity, conversation_id: str, content: str, address: str
    ) -> Dict[str, Any]:
        """A signed-in customer's message over HTTP (the admin API's chat API): the same
        ownership check, identity claim and turn as on a socket."""
        await self._authorize(identity, conversation_id, None)
        try:
            customer = await self._customer_of(identity)
        except SocketRefused as exc:
            raise ChannelError("The assistant is not ready yet", code="SERVICE_UNAVAILABLE") from exc
        return await self.route_message(
            SocketState(identity, address, customer), conversation_id, content, {}
        )

    def _claim(self, socket: SocketState, conversation_id: str) -> Dict[str, Any]:
        signed_in = not socket.identity.anonymous
        return issue_claim(
            self.secret,
            conversation_id,
            links.WEBCHAT,
            socket.customer,
            external_id=socket.identity.id if signed_in else None,
            method="jwt" if signed_in else "none",
            linkable=signed_in,
        )


def _written_by(tracker: Any, user_id: str) -> bool:
    """Whether the signed-in ``user_id`` wrote in this conversation (its owner, whose claim
    this process forgot, e.g. after a restart without Redis)."""
    if user_id == ANONYMOUS_OWNER:
        return False
    return any(
        isinstance(event, UserUttered)
        and ((event.metadata or {}).get(msgs.SENDER_KEY) or {}).get("id") == user_id
        for event in tracker.events
    )
