"""``/api/admin/users``: the admins' user management, GDPR export and erasure, and the audit
trail of GDPR requests."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api import gdpr
from admin_api.accounts import admin
from admin_api.accounts.views import user_view
from admin_api.blueprints.access import GDPR, USERS_READ, USERS_WRITE
from admin_api.envelope import pagination
from admin_api.routing import Call, endpoint
from admin_api.schemas import EMAIL, NAME, PAGE_QUERY, PASSWORD, obj, string
from assistant.store.models import utcnow

ROLE = string(enum=admin.ROLES)
STATUS = string(enum=admin.STATUSES)
NOTES = string(0, 4000, nullable=True)
LIST_QUERY = {**PAGE_QUERY, "role": ROLE, "status": STATUS, "search": string(1, 100),
              "date_from": string(fmt="date-time"), "date_to": string(fmt="date-time")}  # fmt: skip


def blueprint() -> Blueprint:
    bp = Blueprint("users")

    @endpoint(bp, "GET", "/api/admin/users", summary="List users with filters and summary counts",
              access=USERS_READ, query=LIST_QUERY)  # fmt: skip
    async def list_users(call: Call) -> HTTPResponse:
        q, store = call.query, call.services.store
        page, limit = q.get("page", 1), q.get("limit", 20)
        filters = admin.UserFilters(
            q.get("role"), q.get("status"), q.get("search"), q.get("date_from"), q.get("date_to")
        )
        found, total = await call.services.run(admin.list_users, store, filters, page, limit)
        counts = await call.services.run(admin.summary, store, utcnow())
        return call.ok(
            [user_view(a, n) for a, n in found], page=pagination(page, limit, total), summary=counts
        )

    @endpoint(bp, "POST", "/api/admin/users", summary="Create a user", access=USERS_WRITE, status=201,
              body=obj({"email": EMAIL, "name": NAME, "role": ROLE, "password": PASSWORD, "notes": NOTES},
                       ["email", "name", "role", "password"]))  # fmt: skip
    async def create_user(call: Call) -> HTTPResponse:
        b = call.body
        account = await call.services.run(admin.create_user, call.services.store, b["email"], b["name"], b["role"],
                                          b["password"], b.get("notes"))  # fmt: skip
        return call.ok(user_view(account), 201)

    @endpoint(bp, "GET", "/api/admin/users/<user_id:str>", summary="Read a user", access=USERS_READ)
    async def get_user(call: Call) -> HTTPResponse:
        account, count = await call.services.run(admin.get_user, call.services.store, call.params["user_id"])
        return call.ok(user_view(account, count))

    @endpoint(bp, "PUT", "/api/admin/users/<user_id:str>", summary="Update a user's name, role, status or notes",
              access=USERS_WRITE, body=obj({"name": NAME, "role": ROLE, "status": STATUS, "notes": NOTES}))  # fmt: skip
    async def update_user(call: Call) -> HTTPResponse:
        account = await call.services.run(admin.update_user, call.services.store, call.principal.id,
                                          call.params["user_id"], call.body)  # fmt: skip
        return call.ok(user_view(account))

    @endpoint(bp, "DELETE", "/api/admin/users/<user_id:str>", summary="Deactivate a user (ends their sessions)",
              access=USERS_WRITE)  # fmt: skip
    async def deactivate_user(call: Call) -> HTTPResponse:
        account = await call.services.run(
            admin.deactivate, call.services.store, call.principal.id, call.params["user_id"]
        )
        return call.ok(user_view(account))

    @endpoint(bp, "POST", "/api/admin/users/<user_id:str>/erase", summary="GDPR: erase everything about a person",
              access=GDPR)  # fmt: skip
    async def erase_user(call: Call) -> HTTPResponse:
        """Account, profile, conversations with their tracker events, what the assistant kept
        in them; leaves an audit record (who erased whom, when)."""
        s = call.services
        await s.synced()
        audit = await s.run(
            gdpr.erase, s.store, s.tracker, call.principal, call.params["user_id"], s.memories.cache
        )
        return call.ok({"erased": True, "audit": audit})

    @endpoint(bp, "GET", "/api/admin/users/<user_id:str>/export", summary="GDPR: everything stored about a person",
              access=GDPR)  # fmt: skip
    async def export_user(call: Call) -> HTTPResponse:
        s = call.services
        await s.synced()
        return call.ok(await s.run(gdpr.export, s.store, s.tracker, call.principal, call.params["user_id"]))

    @endpoint(bp, "GET", "/api/admin/audit", summary="GDPR requests: who erased or exported whom, when",
              access=GDPR, query=PAGE_QUERY)  # fmt: skip
    async def audit(call: Call) -> HTTPResponse:
        page, limit = call.query.get("page", 1), call.query.get("limit", 20)
        rows, total = await call.services.run(gdpr.audit_log, call.services.store, page, limit)
        return call.ok(rows, page=pagination(page, limit, total))

    return bp
