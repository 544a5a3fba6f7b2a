"""``/api/admin/settings``: the system settings the assistant honours at run time
(assistant/system_settings.py), readable and writable by admins only."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.blueprints.access import ADMINS
from admin_api.routing import Call, endpoint
from admin_api.schemas import Schema, boolean, integer, obj, string
from assistant import system_settings

THRESHOLD: Schema = {"type": "number", "minimum": 0, "maximum": 1,
                     "description": "below this intent confidence the assistant asks instead of answering"}  # fmt: skip
BODY = obj(
    {
        "auto_reply_enabled": boolean("false: customers' messages go to the agents' queue"),
        "ai_confidence_threshold": THRESHOLD,
        "max_response_length": integer(
            system_settings.MIN_RESPONSE_LENGTH,
            system_settings.MAX_RESPONSE_LENGTH,
            "the bot's texts are cut to this many characters",
        ),  # fmt: skip
        "default_response_style": string(enum=system_settings.STYLES),
    }
)
CASTS = {"auto_reply_enabled": bool, "ai_confidence_threshold": float, "max_response_length": int,
         "default_response_style": str}  # fmt: skip


def blueprint() -> Blueprint:
    bp = Blueprint("system_settings")

    @endpoint(bp, "GET", "/api/admin/settings", summary="The system settings", access=ADMINS)
    async def read_settings(call: Call) -> HTTPResponse:
        found = await call.services.run(system_settings.load, call.services.store)
        return call.ok(found.as_dict())

    @endpoint(bp, "PUT", "/api/admin/settings", summary="Change system settings (only those given)",
              access=ADMINS, body=BODY)  # fmt: skip
    async def update_settings(call: Call) -> HTTPResponse:
        """Values out of range or of the wrong type: 422 with one entry per field."""
        changes: Dict[str, Any] = {name: CASTS[name](value) for name, value in call.body.items()}
        saved = await call.services.run(system_settings.save, call.services.store, changes, call.principal.id)
        return call.ok(saved.as_dict())

    return bp
