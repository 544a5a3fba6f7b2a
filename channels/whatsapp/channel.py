"""The WhatsApp Cloud API channel of the Rasa server, registered in credentials.yml as
``channels.whatsapp.channel.WhatsAppInput`` (name ``whatsapp``). Its secrets come from the
environment through assistant/settings.py (``WHATSAPP_*``), never from credentials.yml.

Routes (channels/whatsapp/webhook.py, agent_api.py):

- ``GET|POST /webhooks/whatsapp/webhook``: Meta's webhook (also at the seed API's
  ``/api/channels/whatsapp/webhook``);
- ``POST /api/channels/whatsapp/messages``: an agent's or the system's message;
- ``GET /webhooks/whatsapp/``: ``{"status": "ok", "configured": ...}``.

Turns run in the background (channels/whatsapp/worker.py) with ``channels.turns.serve_turn``
rather than Rasa's ``on_new_message``, which cannot answer an already processed message from
storage nor fail a turn visibly.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.settings import get_settings
from channels.background import BackgroundBlueprint, BackgroundInput
from channels.whatsapp import agent_api, webhook
from channels.whatsapp.output import CHANNEL, WhatsAppOutput
from channels.whatsapp.runtime import Runtime

API_PREFIX = "/api/channels/whatsapp"


class WhatsAppInput(BackgroundInput):
    """Meta's WhatsApp Cloud API (see the module docstring)."""

    ENV_PREFIX = "WHATSAPP"
    runtime: Optional[Runtime]

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        runtime = self.runtime = self.runtime or Runtime(get_settings())
        blueprint = BackgroundBlueprint(runtime, _add_api_routes, "whatsapp_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": runtime.settings.whatsapp.configured})

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return await webhook.verify(request, runtime)

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await webhook.receive(request, runtime)

        @blueprint.route("/conversations/<conversation_id:str>/messages", methods=["POST"])
        async def agent_reply(request: Request, conversation_id: str) -> HTTPResponse:
            return await agent_api.post_conversation_message(request, runtime, conversation_id)

        return blueprint

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For Rasa's HTTP API (``output_channel=whatsapp``): messages go out at once."""
        if self.runtime is None or not self.runtime.settings.whatsapp.configured:
            return None
        return WhatsAppOutput(self.runtime.sender)


def _add_api_routes(app: Sanic, runtime: Runtime) -> None:
    async def verify(request: Request) -> HTTPResponse:
        return await webhook.verify(request, runtime)

    async def receive(request: Request) -> HTTPResponse:
        return await webhook.receive(request, runtime)

    async def send(request: Request) -> HTTPResponse:
        return await agent_api.post_message(request, runtime)

    app.add_route(verify, f"{API_PREFIX}/webhook", methods=["GET"], name="whatsapp_api_verify")
    app.add_route(receive, f"{API_PREFIX}/webhook", methods=["POST"], name="whatsapp_api_receive")
    app.add_route(send, f"{API_PREFIX}/messages", methods=["POST"], name="whatsapp_api_messages")
