"""The REST webhook: ``POST /webhooks/rest/webhook``, registered in credentials.yml as
``channels.rest.RestInput`` (name ``rest``, the URL of Rasa's own REST channel).

Unlike Rasa's channel, which answers 200 with whatever replies it collected even when the turn
failed, a turn here either completes or fails visibly:

- 200 with the list of bot messages (Rasa's format) once the user message and the bot's events
  are stored; a ``message_id`` already processed gets the stored replies again (header
  ``X-Replayed: true``) without being processed again;
- 400 (or 413) with the error envelope for a body it cannot take (channels/rest_body.py);
  nothing is stored;
- 503 with ``Retry-After`` and the envelope when the turn could not complete now (PostgreSQL
  or Redis unreachable past the retries, an action that could not reach the store, the
  deadline passed, no model loaded yet); nothing of it is stored, and the client sends the
  same body again (with a ``message_id``, a retry never has a second effect);
- 500 with the envelope for an error a retry will not fix (logged).

The ``stream`` option of Rasa's channel is not offered (a streamed 200 could not become a 503).
The blueprint also adds the Rasa server's ``/health/live`` and ``/health/ready``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.settings import Settings, get_settings
from channels.envelope import error_response, request_id_of
from channels.errors import ChannelError
from channels.health import add_health_routes
from channels.rest_body import RestMessage, build_metadata, parse_body
from channels.turns import TurnCollector, TurnResult, fail_loudly, serve_turn, turn_error
from channels.waiting_notice import while_waiting

logger = logging.getLogger(__name__)


class RestOutput(TurnCollector):
    """Collects the bot's messages for the HTTP answer (a failure report stops the turn)."""

    channel = "rest"


class RestBlueprint(Blueprint):
    """The webhook's blueprint; registering it also adds the server's health routes and makes
    the tracker store fail loudly from the start (for every channel of the server)."""

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        add_health_routes(app)
        app.register_listener(_fail_loudly_on_start, "after_server_start")
        super().register(app, options)


async def _fail_loudly_on_start(app: Sanic, _loop: Any) -> None:
    agent = getattr(app.ctx, "agent", None)
    if agent is not None:
        fail_loudly(agent.tracker_store)


class RestInput(InputChannel):
    """Our REST channel (see the module docstring). It takes no credentials."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The routes. Turns are served by ``channels.turns.serve_turn`` (the lock, a replay
        check under it, then the agent's processor) rather than ``on_new_message``, which
        cannot answer a retried message from storage."""
        blueprint = RestBlueprint("northwind_rest_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await handle(request, get_settings())

        return blueprint


async def handle(request: Request, settings: Settings) -> HTTPResponse:
    """One webhook call: validate, serve the turn, answer (the only place errors become HTTP)."""
    request_id = request_id_of(request)
    try:
        body = parse_body(request.body, settings)
        result = await _serve(request, body, request_id, settings)
    except ChannelError as error:
        return error_response(error, request_id)
    except Exception as error:  # every failure is answered with the envelope, never a bare 500
        return error_response(turn_error(error, settings.retry_after_seconds, request_id), request_id)
    headers = {"X-Request-Id": request_id}
    if result.replayed:
        headers["X-Replayed"] = "true"
    messages = result.messages or await _while_waiting(request, body)
    return response.json(messages, headers=headers)


async def _while_waiting(request: Request, body: RestMessage) -> List[Dict[str, Any]]:
    """A conversation waiting for an agent answers ``[]``; the customer hears where they
    stand now and then (channels/waiting_notice.py)."""
    notices = await while_waiting(getattr(request.app.ctx, "agent", None), body.sender, body.text)
    return [{"recipient_id": body.sender, **notice} for notice in notices]


async def _serve(request: Request, body: RestMessage, request_id: str, settings: Settings) -> TurnResult:
    message = UserMessage(
        text=body.text,
        output_channel=RestOutput(),
        sender_id=body.sender,
        input_channel=RestInput.name(),
        message_id=body.message_id or uuid.uuid4().hex,
        metadata=build_metadata(body.metadata, request_id=request_id, sender=body.sender, settings=settings),
    )
    agent = getattr(request.app.ctx, "agent", None)
    return await serve_turn(agent, message, body.message_id is not None, settings.turn_timeout_seconds)
