"""Messages into a conversation's rooms: the customer's (to Rasa, with typing indicators around
the reply), an agent's (kept in the tracker), the bot's (from the output channel), and the
conversation's history and status, read from its Rasa tracker.

Every conversation has two rooms: ``webchat:<id>`` for rasa-webchat sockets (``bot_uttered``)
and ``conversation:<id>`` for conversation clients (``message_received`` and friends). The
conversation id is Rasa's sender id, so the widget, other tabs and agents share one tracker.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from socketio import AsyncServer

from assistant.conversations import handoff
from assistant.conversations.registry import Actor
from assistant.settings import get_settings
from assistant.store import NotAllowed, get_store
from channels import messages as msgs
from channels.auth import Identity
from channels.background import ConversationLocks
from channels.config import WebChatConfig
from channels.errors import ChannelError, ConflictError, MessageTooLargeError, RateLimitError
from channels.state import ChannelState
from channels.turns import serve_turn, turn_error
from channels.waiting_notice import queue_notice

if TYPE_CHECKING:
    from rasa.core.agent import Agent
    from rasa.shared.core.trackers import DialogueStateTracker
    from sanic import Sanic

logger = logging.getLogger(__name__)

CHANNEL = "webchat"
ACTIVE, HANDED_OFF = "active", "handed_off"
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
OutputFactory = Callable[["ConversationRooms", Optional[Dict[str, Any]], bool], Any]


def events_room(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def widget_room(conversation_id: str) -> str:
    return f"webchat:{conversation_id}"


class ConversationRooms:
    """Sends messages into conversations and hands customers' messages to Rasa."""

    def __init__(
        self,
        sio: AsyncServer,
        config: WebChatConfig,
        state: ChannelState,
        on_new_message: OnNewMessage,
        output_factory: OutputFactory,
    ) -> None:
        self.sio = sio
        self.config = config
        self.state = state
        self.on_new_message = on_new_message
        self.output_factory = output_factory
        self.app: Optional[Sanic] = None
        self.bot = {"id": "bot", "name": config.bot_name, "role": "bot"}
        # Rasa runs NLU and policies on the event loop: past a few turns at once, more only
        # delays everything else (socket heartbeats, action server calls) for no throughput.
        self.turns = asyncio.Semaphore(config.max_concurrent_turns)
        # A customer who types twice before the first reply is answered in the order they typed:
        # taken before anything awaits, so the socket's events keep their arrival order.
        self.arrivals = ConversationLocks()

    async def customer_message(
        self,
        identity: Identity,
        conversation_id: str,
        content: str,
        metadata: Dict[str, Any],
        message_id: Optional[str] = None,
        sid: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Lets Rasa answer the customer's message (typing indicators around it), then, once
        the turn is stored, shows the message and the replies to the room. A failed turn
        raises ``ChannelError`` (``SERVICE_UNAVAILABLE`` when sending again can work) and
        nothing of it reaches anyone. ``message_id`` (the client's) makes a retry safe: a
        message already stored is answered again, to ``sid`` only, from what was stored.
        Waits while ``max_concurrent_turns`` other turns run, and for the conversation's
        earlier messages (of this process) to be answered."""
        async with self.arrivals.hold(conversation_id):
            return await self._customer_turn(identity, conversation_id, content, metadata, message_id, sid)

    async def _customer_turn(
        self,
        identity: Identity,
        conversation_id: str,
        content: str,
        metadata: Dict[str, Any],
        message_id: Optional[str],
        sid: Optional[str],
    ) -> Dict[str, Any]:
        await self.admit(conversation_id, content)
        async with self.turns:
            parse_data = await self._parse(content)
            ai = msgs.ai_metadata(parse_data, content)
            message = msgs.message(conversation_id, content, identity.public(), ai=ai)
            message["id"] = message_id or message["id"]
            quiet = await self.state.status(conversation_id) == HANDED_OFF
            if not quiet:
                await self._bot_typing(conversation_id, "typing_start")
            output = self.output_factory(self, ai, True)
            try:
                meta = {**metadata, msgs.SENDER_KEY: identity.public(), "message_id": message["id"]}
                # Rasa uses this parse instead of parsing again: one NLU run per message.
                user_message = UserMessage(content, output, conversation_id, parse_data=parse_data,
                                           input_channel=CHANNEL, message_id=message["id"], metadata=meta)  # fmt: skip
                replayed = await self._serve(user_message, replayable=message_id is not None)
                if not replayed:
                    await self.emit_message(conversation_id, message, sender=sid)
                answered = bool(output.pending)
                # Before the replies go out: a customer who answers the hand-over message at
                # once must find the conversation handed off (else they would get silence).
                handed_off = await self._refresh_status(conversation_id) == HANDED_OFF
                await output.flush(sender=sid, only_sender=replayed)
            finally:
                if not quiet:
                    await self._bot_typing(conversation_id, "typing_stop")
        if quiet or (handed_off and not answered):  # also a message that waited for the hand-over turn
            await self._while_waiting(conversation_id, content)
        return message

    async def _serve(self, message: UserMessage, replayable: bool) -> bool:
        """One turn under the failure contract (channels/turns.py); True when replayed."""
        settings = get_settings()
        try:
            result = await serve_turn(self.agent(), message, replayable, settings.turn_timeout_seconds)
        except ChannelError:
            raise
        except Exception as exc:
            raise turn_error(
                exc, settings.retry_after_seconds, f"{message.sender_id}/{message.message_id}"
            ) from exc
        return result.replayed

    async def _while_waiting(self, conversation_id: str, content: str) -> None:
        """Waiting is never silence (channels/waiting_notice.py): the notice to the room."""
        notice = await queue_notice(self.agent(), conversation_id, content)
        if notice is None:
            return
        replies = msgs.quick_replies(notice.buttons) or None
        widget = {"text": notice.text, "quick_replies": replies} if replies else {"text": notice.text}
        kind = "quick_replies" if replies else "text"
        await self.bot_message(
            conversation_id, widget, notice.text, None, message_type=kind, quick_replies=replies
        )
        if notice.resume:
            await self._refresh_status(conversation_id)

    async def agent_message(self, identity: Identity, conversation_id: str, content: str) -> Dict[str, Any]:
        """An agent's message: kept in the conversation's tracker and shown to everyone,
        in the widget as a bot message. It goes through the handoff's step for agents'
        replies first (a queued conversation becomes the agent's; a closed one refuses)."""
        await self.admit(conversation_id, content)
        try:
            await asyncio.to_thread(handoff.agent_reply, get_store(), conversation_id,
                                    Actor("staff", identity.id, identity.name), CHANNEL)  # fmt: skip
        except NotAllowed as exc:
            raise ConflictError(str(exc), {"reason": exc.reason}, code=exc.code) from exc
        message = msgs.message(conversation_id, content, identity.public())
        agent = self.agent()
        metadata = {msgs.SENDER_KEY: identity.public(), "message_id": message["id"]}
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.processor.fetch_tracker_with_initial_session(conversation_id)
            # Stamped after the session start: the tracker store loads the latest session by time.
            tracker.update(BotUttered(content, metadata=metadata))
            await agent.tracker_store.save(tracker)
        await self.emit_message(conversation_id, message, widget={"text": content})
        return message

    async def bot_message(
        self,
        conversation_id: str,
        widget: Dict[str, Any],
        content: str,
        ai: Optional[Dict[str, Any]],
        sender: Optional[str] = None,
        only_sender: bool = False,
        **extra: Any,
    ) -> None:
        message = msgs.message(conversation_id, content, self.bot, ai=ai, **extra)
        await self.emit_message(
            conversation_id, message, widget=widget, sender=sender, only_sender=only_sender
        )

    async def emit_message(
        self,
        conversation_id: str,
        message: Dict[str, Any],
        widget: Optional[Dict[str, Any]] = None,
        sender: Optional[str] = None,
        only_sender: bool = False,
    ) -> None:
        """To the conversation's rooms. ``sender``, the socket (of this process) whose message
        this answers, gets it directly, not through the Redis queue, which may be down;
        ``only_sender``: to no one else (a reply sent again to a client that retried)."""
        deliveries = [(widget_room(conversation_id), "bot_uttered", widget),
                      (events_room(conversation_id), "message_received", {"message": message})]  # fmt: skip
        sender_rooms = set(self.sio.rooms(sender)) if sender else set()
        for room, event, payload in deliveries:
            if payload is None:
                continue
            if room in sender_rooms:
                await self.sio.emit(event, payload, to=sender, ignore_queue=True)
            if not only_sender:
                await self.sio.emit(
                    event, payload, room=room, skip_sid=sender if room in sender_rooms else None
                )

    async def _bot_typing(self, conversation_id: str, event: str) -> None:
        user = {"id": self.bot["id"], "name": self.bot["name"]}
        await self.sio.emit(
            event, {"conversation_id": conversation_id, "user": user}, room=events_room(conversation_id)
        )

    async def admit(self, conversation_id: str, content: str) -> None:
        """Message size and messages per minute per conversation."""
        limit = self.config.max_message_chars
        if len(content) > limit:
            raise MessageTooLargeError(
                f"Messages can be at most {limit} characters", {"limit": limit, "length": len(content)}
            )
        per_minute = self.config.messages_per_minute
        retry_after = await self.state.hit(f"messages:{conversation_id}", per_minute, 60.0)
        if retry_after is not None:
            details = {"limit": per_minute, "window": "1 minute", "retry_after": math.ceil(retry_after)}
            raise RateLimitError("Too many messages in this conversation", details)

    async def _parse(self, content: str) -> Optional[Dict[str, Any]]:
        """Rasa's NLU parse of the message: it feeds ``ai_metadata`` and the turn itself."""
        try:
            return await self.agent().parse_message(content)
        except ChannelError:
            raise
        except Exception:
            logger.warning("webchat: could not analyse a message", exc_info=True)
            return None

    async def tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """The conversation's current state (the tracker store may compact old turns)."""
        return await self.agent().tracker_store.retrieve(conversation_id)

    async def full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """Every stored event of the conversation: for its history and who may see it."""
        return await self.agent().tracker_store.retrieve_full_tracker(conversation_id)

    async def history(self, tracker: Optional[DialogueStateTracker]) -> Tuple[List[Dict[str, Any]], str]:
        """The conversation's last messages and its status (``active`` or ``handed_off``)."""
        if tracker is None:
            return [], ACTIVE
        conversation_id = tracker.sender_id
        customer = {"id": conversation_id, "name": "Customer", "role": "customer"}
        history = msgs.history(tracker.events, conversation_id, customer, self.bot, self.config.history_limit)
        status = HANDED_OFF if tracker.is_paused() else ACTIVE
        await self.state.swap_status(conversation_id, status)
        return history, status

    async def _refresh_status(self, conversation_id: str) -> str:
        """Tells the room when the bot handed the conversation to a human, or got it back;
        returns the status."""
        tracker = await self.tracker(conversation_id)
        status = HANDED_OFF if tracker is not None and tracker.is_paused() else ACTIVE
        previous = await self.state.swap_status(conversation_id, status)
        if status != (previous or ACTIVE):
            update = {"conversation_id": conversation_id, "changes": {"status": status},
                      "updated_by": {"id": self.bot["id"], "name": self.bot["name"]}}  # fmt: skip
            await self.sio.emit("conversation_updated", update, room=events_room(conversation_id))
        return status

    def agent(self) -> Agent:
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None or not agent.is_ready():
            raise ChannelError("The assistant is not ready yet", code="SERVICE_UNAVAILABLE")
        return agent


def from_other_channel(tracker: Optional[DialogueStateTracker]) -> bool:
    """Whether customers wrote in this conversation through another channel (REST, WhatsApp ...):
    such conversations are open to agents only, whatever their id."""
    if tracker is None:
        return False
    return any(
        isinstance(event, UserUttered) and event.input_channel not in (None, CHANNEL)
        for event in tracker.events
    )
