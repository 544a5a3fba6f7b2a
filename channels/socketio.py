"""Web channel of the assistant: socket.io on the Rasa server's Sanic app.

Registered in credentials.yml as ``channels.socketio.WebChatInput``. One socket.io endpoint
(``/socket.io``) speaks the rasa-webchat widget's events (``session_request``/``session_confirm``,
``user_uttered``/``bot_uttered``, sessions persist) and the conversation events of the seed API
(``join_conversation``, ``message_send``, ``message_received`` ...); see channels/hub.py. Over
HTTP: ``GET /webhooks/webchat/`` (health), ``POST /webhooks/webchat/conversations/<id>/messages``
(an agent's message, with an agent's bearer JWT) and the page at ``/webchat``.

With ``REDIS_URL`` set the socket.io message queue runs on Redis (``AsyncRedisManager``), so a
reply emitted by one Rasa process reaches sockets connected to another.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Coroutine, Dict, Iterable, List, Optional, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from assistant.redaction import redact
from assistant.turn_failure import raise_reported_failure
from channels import messages as msgs
from channels import system_settings
from channels.auth import bearer_token, decode_token
from channels.config import WebChatConfig
from channels.errors import AuthError, ChannelError, ValidationError
from channels.event_input import valid_conversation_id
from channels.hub import WebChatHub
from channels.page import add_page_routes
from channels.rooms import ConversationRooms
from channels.state import ChannelState, MemoryState, RedisState

logger = logging.getLogger(__name__)


class WebChatOutput(OutputChannel):
    """Sends the bot's messages into the conversation's rooms, in order, one bubble per part.

    ``buffered``: a customer's turn keeps them until it is stored (``flush``), so nothing of a
    turn that fails reaches anyone; an action's failure report (assistant/turn_failure.py)
    fails the turn. Unbuffered (Rasa's HTTP API, reminders) they go out at once."""

    @classmethod
    def name(cls) -> str:
        return WebChatInput.name()

    def __init__(
        self, rooms: ConversationRooms, ai_metadata: Optional[Dict[str, Any]] = None, buffered: bool = False
    ) -> None:
        self.rooms = rooms
        self.ai = ai_metadata
        self.buffered = buffered
        self.pending: List[Tuple[str, Dict[str, Any], str, Dict[str, Any]]] = []

    async def _send(self, recipient_id: str, widget: Dict[str, Any], content: str, **extra: Any) -> None:
        if self.buffered:
            self.pending.append((recipient_id, widget, content, extra))
        else:
            await self.rooms.bot_message(recipient_id, widget, content, self.ai, **extra)

    async def flush(self, sender: Optional[str] = None, only_sender: bool = False) -> None:
        """Sends what the turn said to the conversation's rooms (see ``emit_message``)."""
        pending, self.pending = self.pending, []
        for recipient_id, widget, content, extra in pending:
            await self.rooms.bot_message(
                recipient_id, widget, content, self.ai, sender=sender, only_sender=only_sender, **extra
            )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in msgs.split_text(await system_settings.limited(text)):
            await self._send(recipient_id, {"text": part}, part)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons become quick replies on the last bubble."""
        parts = msgs.split_text(await system_settings.limited(text))
        for part in parts[:-1]:
            await self._send(recipient_id, {"text": part}, part)
        replies = msgs.quick_replies(buttons)
        widget = {"text": parts[-1], "quick_replies": replies}
        await self._send(recipient_id, widget, parts[-1], message_type="quick_replies", quick_replies=replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        widget = {"attachment": {"type": "image", "payload": {"src": image}}}
        attachments = [{"type": "image", "url": image}]
        await self._send(recipient_id, widget, "", message_type="image", attachments=attachments)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:  # type: ignore[override]
        await self._send(
            recipient_id, {"attachment": attachment}, "", message_type="attachment", attachments=[attachment]
        )

    async def send_elements(
        self, recipient_id: str, elements: Iterable[Dict[str, Any]], **kwargs: Any
    ) -> None:
        for element in elements:
            payload = {"template_type": "generic", "elements": element}
            widget = {"attachment": {"type": "template", "payload": payload}}
            await self._send(recipient_id, widget, "", message_type="carousel", custom=payload)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """Rasa's socket.io convention: a custom payload's ``data`` (or the payload itself)."""
        raise_reported_failure(json_message)
        body = json_message.get("data", json_message) if isinstance(json_message, dict) else json_message
        await self._send(recipient_id, body, "", message_type="custom", custom=body)


class WebChatBlueprint(Blueprint):
    """A blueprint that also attaches socket.io and the ``/webchat`` page to the app."""

    def __init__(self, hub: WebChatHub, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.hub = hub

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        hub: WebChatHub = self.ctx.hub
        hub.rooms.app = app
        hub.sio.attach(app, hub.config.socketio_path)
        add_page_routes(app, hub.config)
        app.register_listener(_closer(hub), "after_server_stop")
        super().register(app, options)


class WebChatInput(InputChannel):
    """The web channel: socket.io for the widget and conversation clients, and /webchat."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls(WebChatConfig.from_credentials(credentials))

    def __init__(self, config: Optional[WebChatConfig] = None) -> None:
        self.config = config or WebChatConfig()
        self.hub: Optional[WebChatHub] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For the HTTP API's ``output_channel=webchat`` and reminders."""
        return WebChatOutput(self.hub.rooms) if self.hub else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio, state = _socket_server(self.config), _state(self.config)
        rooms = ConversationRooms(sio, self.config, state, on_new_message, WebChatOutput)
        self.hub = WebChatHub(sio, self.config, state, rooms)
        self.hub.register_handlers()
        blueprint = WebChatBlueprint(self.hub, "webchat_webhook", __name__)
        _add_http_routes(blueprint, self.hub)
        return blueprint


def _socket_server(config: WebChatConfig) -> AsyncServer:
    options: Dict[str, Any] = {}
    if config.redis_url:
        options["client_manager"] = AsyncRedisManager(
            config.redis_url, channel=f"{config.redis_prefix}:socketio"
        )
    return AsyncServer(
        async_mode="sanic",
        cors_allowed_origins=list(config.cors_origins),
        max_http_buffer_size=100_000 + 8 * config.max_message_chars,
        logger=False,
        engineio_logger=False,
        **options,
    )


def _state(config: WebChatConfig) -> ChannelState:
    if config.redis_url:
        return RedisState(config.redis_url, config.redis_prefix)
    return MemoryState()


def _closer(hub: WebChatHub) -> Callable[[Any, Any], Coroutine[Any, Any, None]]:
    async def close_webchat_state(_app: Any, _loop: Any) -> None:
        await hub.state.close()

    return close_webchat_state


def _add_http_routes(blueprint: Blueprint, hub: WebChatHub) -> None:
    @blueprint.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @blueprint.route("/conversations/<conversation_id:str>/messages", methods=["POST"])
    async def post_agent_message(request: Request, conversation_id: str) -> HTTPResponse:
        """Another service (the admin API, an agent desk) posts an agent's message, or a
        signed-in customer's (the admin API's chat API: the same turn as on a socket)."""
        try:
            message = await _agent_message_from(request, hub, conversation_id)
        except ChannelError as exc:
            return response.json({"success": False, "error": exc.to_payload()}, status=exc.http_status)
        return response.json({"success": True, "data": message}, status=201)


async def _agent_message_from(request: Request, hub: WebChatHub, conversation_id: str) -> Dict[str, Any]:
    token = bearer_token(request.headers.get("Authorization"))
    if not token:
        raise AuthError("Authentication required", {"reason": "no bearer token"})
    identity = decode_token(token, hub.config.jwt_secret, hub.config.jwt_algorithm)
    try:
        body = request.json
    except Exception as exc:
        raise ValidationError("The body must be JSON") from exc
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str) or not content.strip():
        raise ValidationError("content must be non-empty text", {"field": "content"})
    conversation_id = valid_conversation_id(conversation_id)
    if not identity.is_agent:  # a customer: only into their own conversation
        return await hub.post_as_customer(identity, conversation_id, content, str(request.ip or "unknown"))
    return await hub.rooms.agent_message(identity, conversation_id, redact(content))
