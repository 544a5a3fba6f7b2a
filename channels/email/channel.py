"""The e-mail channel of the Rasa server, registered in credentials.yml as
``channels.email.channel.EmailInput`` (name ``email``). Its settings come from the environment
through assistant/settings.py (``EMAIL_*``, plus ``SMTP_URL`` and ``MAIL_FROM`` for replies),
never from credentials.yml.

Routes: ``GET /webhooks/email/`` (``{"status": "ok", "configured": ..., "listening": ...}``) and
the seed API's ``POST /api/channels/email/listener/start|stop``, ``/process`` and ``/send``
(channels/email/api.py). The IMAP listener starts with the server when configured
(``EMAIL_AUTOSTART``), and the outbox delivery loop with it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, List, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.settings import get_settings
from channels.background import BackgroundBlueprint, BackgroundInput
from channels.email import api
from channels.email.output import CHANNEL, EmailOutput
from channels.email.runtime import Runtime

API_PREFIX = "/api/channels/email"


class EmailInput(BackgroundInput):
    """The support mailbox (see the module docstring)."""

    ENV_PREFIX = "EMAIL"
    runtime: Optional[Runtime]

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        runtime = self.runtime = self.runtime or Runtime(get_settings())
        blueprint = BackgroundBlueprint(runtime, _add_api_routes, "email_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": runtime.configured,
                                  "listening": runtime.listener.running})  # fmt: skip

        @blueprint.route("/conversations/<conversation_id:str>/messages", methods=["POST"])
        async def agent_reply(request: Request, conversation_id: str) -> HTTPResponse:
            return await api.post_conversation_message(request, runtime, conversation_id)

        return blueprint

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For Rasa's HTTP API (``output_channel=email``): queued in the conversation's thread."""
        if self.runtime is None:
            return None
        runtime = self.runtime

        async def send(conversation_id: str, paragraphs: List[str]) -> None:
            await runtime.send(conversation_id, paragraphs)

        return EmailOutput(send)


def _add_api_routes(app: Sanic, runtime: Runtime) -> None:
    async def start(request: Request) -> HTTPResponse:
        return await api.start_listener(request, runtime)

    async def stop(request: Request) -> HTTPResponse:
        return await api.stop_listener(request, runtime)

    async def process(request: Request) -> HTTPResponse:
        return await api.process(request, runtime)

    async def send(request: Request) -> HTTPResponse:
        return await api.send(request, runtime)

    app.add_route(start, f"{API_PREFIX}/listener/start", methods=["POST"], name="email_listener_start")
    app.add_route(stop, f"{API_PREFIX}/listener/stop", methods=["POST"], name="email_listener_stop")
    app.add_route(process, f"{API_PREFIX}/process", methods=["POST"], name="email_process")
    app.add_route(send, f"{API_PREFIX}/send", methods=["POST"], name="email_send")
