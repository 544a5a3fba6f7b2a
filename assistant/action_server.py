"""The action server: rasa-sdk's, with two changes. Run it with the arguments of
``rasa run actions``::

    python -m assistant.action_server --actions actions --port 5055

- An action that fails does not answer Rasa with an HTTP error (which Rasa logs and skips,
  storing the turn as if the action had said nothing). A lost connection to the database is
  retried within ``STORE_RETRY_SECONDS`` (the whole action again: actions that change the store
  do so in one transaction, see actions/once.py); if it still fails, or the action raises
  anything else, the answer reports the failure (assistant/turn_failure.py) and the channel
  fails the turn visibly, storing nothing (for channels that understand reports: REST today;
  for the others the action fails as with rasa-sdk).
- ``/health/live`` (the process serves HTTP) and ``/health/ready`` (the database answers) next to
  rasa-sdk's ``/health``.

It binds to ``SANIC_HOST`` (assistant/settings.py) like ``rasa run actions``. This module lives
outside the ``actions`` package on purpose: rasa-sdk imports every module of that package.
"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any, Dict, List, Optional, Sequence, Union

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import configure_cors, create_argument_parser, create_ssl_context
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.health import LIVENESS, Probe, database_probe, readiness_report, run_checks
from assistant.retry import is_transient, retry_async
from assistant.settings import Settings, get_settings
from assistant.turn_failure import ActionFailure, channel_fails_turns

logger = logging.getLogger(__name__)


class ReportingExecutor(ActionExecutor):
    """Runs an action, retrying lost database connections; a failure becomes a report."""

    async def run(self, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        name = str(action_call.get("next_action") or "unknown action")
        try:
            return await retry_async(super().run, action_call)
        except (ActionExecutionRejection, ActionNotFoundException):
            raise  # Rasa's protocol: a form rejects a slot, an unknown action is a 404
        except Exception as error:  # reported, so the turn fails instead of going on without it
            if not channel_fails_turns(action_call):
                raise  # rasa-sdk's answer (500): this channel cannot fail a turn yet
            retryable = is_transient(error)
            if retryable:
                logger.warning("Action %s could not reach the store: %s", name, error)
            else:
                logger.error("Action %s failed", name, exc_info=error)
            return ActionFailure(name, retryable).response()


def create_app(
    action_package: str, cors_origins: Union[str, List[str], None] = "*", auto_reload: bool = False
) -> Sanic:
    """rasa-sdk's application (``/webhook``, ``/actions``, ``/health``) with the reporting
    executor and the health routes."""
    app = Sanic("northwind_actions", configure_logging=False)
    configure_cors(app, cors_origins)
    executor = ReportingExecutor()
    executor.register_package(action_package)

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        action_call = _action_call(request)
        if action_call is None:
            return response.json({"error": "Invalid body request"}, status=400)
        utils.check_version_compatibility(action_call.get("version"))
        if auto_reload:
            executor.reload()
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as error:
            return response.json({"error": error.message, "action_name": error.action_name}, status=400)
        except ActionNotFoundException as error:
            logger.error(error)
            return response.json({"error": error.message, "action_name": error.action_name}, status=404)
        return response.json(result, status=200)

    @app.get("/actions")
    async def actions(_: Request) -> HTTPResponse:
        if auto_reload:
            executor.reload()
        return response.json([{"name": name} for name in executor.actions], status=200)

    _add_health_routes(app)

    @app.after_server_start
    async def build_knowledge_index(app: Sanic, loop: Any) -> None:
        # The help centre's index (MiniLM embeddings): built beside serving, not on a question.
        from assistant.knowledge import warm_up

        app.add_task(loop.run_in_executor(None, warm_up))

    return app


def _action_call(request: Request) -> Optional[Dict[str, Any]]:
    if request.headers.get("Content-Encoding") == "deflate":
        return json.loads(zlib.decompress(request.body))
    return request.json


def _add_health_routes(app: Sanic) -> None:
    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/health/live")
    async def live(_: Request) -> HTTPResponse:
        return response.json(LIVENESS)

    @app.get("/health/ready")
    async def ready(_: Request) -> HTTPResponse:
        settings = get_settings()
        checks = await run_checks(_probes(app, settings), settings.health_timeout_seconds)
        body, status = readiness_report(checks)
        return response.json(body, status=status)


def _probes(app: Sanic, settings: Settings) -> Dict[str, Probe]:
    """The action server needs the business database only (built on first use)."""
    if not hasattr(app.ctx, "probes"):
        app.ctx.probes = {"database": database_probe(settings.database_url, settings.health_timeout_seconds)}
    return app.ctx.probes


def main(argv: Optional[Sequence[str]] = None) -> None:
    """``rasa run actions``, with this module's application."""
    args = create_argument_parser().parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file,
                                 args.loglevel, args.logging_config_file)  # fmt: skip
    utils.update_sanic_log_level()
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = get_settings().action_server_host
    logger.info("Action server on %s://%s:%s", "https" if ssl_context else "http", host, args.port)
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
