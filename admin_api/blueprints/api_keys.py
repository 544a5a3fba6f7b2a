"""``/api/admin/api-keys``: keys for service-to-service calls, created and revoked by admins."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.accounts import api_keys
from admin_api.accounts.views import api_key_view
from admin_api.blueprints.access import ADMINS
from admin_api.errors import ValidationFailed
from admin_api.routing import Call, endpoint
from admin_api.schemas import NAME, array, obj, string
from admin_api.validation import optional_datetime

CREATE = obj({"name": NAME, "scopes": array(string(enum=api_keys.SCOPES), 10, unique=True),
              "expires_at": string(fmt="date-time", nullable=True)}, ["name", "scopes"])  # fmt: skip


def blueprint() -> Blueprint:
    bp = Blueprint("api_keys")

    @endpoint(bp, "GET", "/api/admin/api-keys", summary="List API keys", access=ADMINS)
    async def list_keys(call: Call) -> HTTPResponse:
        keys = await call.services.run(api_keys.list_keys, call.services.store)
        return call.ok([api_key_view(key) for key in keys])

    @endpoint(bp, "POST", "/api/admin/api-keys", summary="Create an API key (shown once)", access=ADMINS,
              body=CREATE, status=201)  # fmt: skip
    async def create_key(call: Call) -> HTTPResponse:
        """The answer's ``key`` is the only time the key is shown: only its SHA-256 is kept."""
        try:
            expires = optional_datetime(call.body.get("expires_at"))
        except ValueError as exc:
            raise ValidationFailed([{"field": "expires_at", "message": str(exc)}]) from exc
        row, key = await call.services.run(api_keys.create_key, call.services.store, call.body["name"],
                                           call.body["scopes"], call.principal.id, expires)  # fmt: skip
        return call.ok({**api_key_view(row), "key": key}, 201)

    @endpoint(bp, "DELETE", "/api/admin/api-keys/<key_id:str>", summary="Revoke an API key", access=ADMINS)
    async def revoke_key(call: Call) -> HTTPResponse:
        row = await call.services.run(api_keys.revoke_key, call.services.store, call.params["key_id"])
        return call.ok(api_key_view(row))

    return bp
