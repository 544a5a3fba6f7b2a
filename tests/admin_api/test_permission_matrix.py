"""Every endpoint against every kind of caller: nobody, an expired token, a forged token, a
customer, an agent, an admin, an API key with every scope and one with none. Each gets exactly
what it should: 401 without valid credentials, 403 with the wrong role or scope, and past the
door otherwise (the requests name nothing that exists and carry bodies that fail validation, so
nothing changes). The table is written out here, and must name every route of the app."""

from __future__ import annotations

from typing import Dict, Tuple

import pytest

from admin_api.accounts.api_keys import SCOPES
from admin_api.openapi import specs
from admin_api.security.tokens import issue_access
from tests.admin_api.conftest import ADMIN_EMAIL, Api
from tests.admin_api.server import Client, data

PUBLIC, SIGNED_IN, CUSTOMERS, ADMINS = "public", "signed_in", "customers", "admins"
USERS_READ, USERS_WRITE, GDPR, STAFF_READ, STAFF_WRITE = (
    "users:read",
    "users:write",
    "gdpr",
    "staff:read",
    "staff:write",
)
EXPORT = "export"
ANALYTICS = "analytics:read"

EXPECTED: Dict[Tuple[str, str], str] = {
    ("GET", "/api/health/live"): PUBLIC,
    ("GET", "/api/health/ready"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("POST", "/api/auth/register"): PUBLIC,
    ("POST", "/api/auth/verify-email"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/refresh"): PUBLIC,
    ("POST", "/api/auth/logout"): SIGNED_IN,
    ("GET", "/api/auth/profile"): SIGNED_IN,
    ("PUT", "/api/auth/profile"): SIGNED_IN,
    ("POST", "/api/auth/password"): SIGNED_IN,
    ("POST", "/api/auth/totp/setup"): SIGNED_IN,
    ("POST", "/api/auth/totp/enable"): SIGNED_IN,
    ("POST", "/api/auth/totp/disable"): SIGNED_IN,
    ("GET", "/api/admin/users"): USERS_READ,
    ("POST", "/api/admin/users"): USERS_WRITE,
    ("GET", "/api/admin/users/<user_id:str>"): USERS_READ,
    ("PUT", "/api/admin/users/<user_id:str>"): USERS_WRITE,
    ("DELETE", "/api/admin/users/<user_id:str>"): USERS_WRITE,
    ("POST", "/api/admin/users/<user_id:str>/erase"): GDPR,
    ("GET", "/api/admin/users/<user_id:str>/export"): GDPR,
    ("GET", "/api/admin/audit"): GDPR,
    ("GET", "/api/admin/api-keys"): ADMINS,
    ("POST", "/api/admin/api-keys"): ADMINS,
    ("DELETE", "/api/admin/api-keys/<key_id:str>"): ADMINS,
    ("GET", "/api/admin/conversations"): STAFF_READ,
    ("GET", "/api/admin/conversations/<conversation_id:str>"): STAFF_READ,
    ("PUT", "/api/admin/conversations/<conversation_id:str>"): STAFF_WRITE,
    ("POST", "/api/admin/conversations/<conversation_id:str>/notes"): STAFF_WRITE,
    ("GET", "/api/admin/queue"): STAFF_READ,
    ("GET", "/api/admin/agents"): STAFF_READ,
    ("PUT", "/api/admin/conversations/<conversation_id:str>/assign"): STAFF_WRITE,
    ("POST", "/api/admin/conversations/<conversation_id:str>/messages"): STAFF_WRITE,
    ("POST", "/api/admin/conversations/<conversation_id:str>/handback"): STAFF_WRITE,
    ("POST", "/api/admin/conversations/<conversation_id:str>/close"): STAFF_WRITE,
    ("GET", "/api/chat/conversations"): CUSTOMERS,
    ("POST", "/api/chat/conversations"): CUSTOMERS,
    ("GET", "/api/chat/conversations/<conversation_id:str>"): CUSTOMERS,
    ("PUT", "/api/chat/conversations/<conversation_id:str>"): CUSTOMERS,
    ("DELETE", "/api/chat/conversations/<conversation_id:str>"): CUSTOMERS,
    ("GET", "/api/chat/conversations/<conversation_id:str>/messages"): CUSTOMERS,
    ("POST", "/api/chat/conversations/<conversation_id:str>/messages"): CUSTOMERS,
    ("GET", "/api/memory/memories"): STAFF_READ,
    ("POST", "/api/memory/memories"): STAFF_WRITE,
    ("GET", "/api/memory/memories/<memory_id:str>"): STAFF_READ,
    ("PUT", "/api/memory/memories/<memory_id:str>"): STAFF_WRITE,
    ("DELETE", "/api/memory/memories/<memory_id:str>"): STAFF_WRITE,
    ("GET", "/api/core/sessions/<session_id:str>/context"): STAFF_READ,
    ("POST", "/api/core/sessions/<session_id:str>/reset"): STAFF_WRITE,
    ("GET", "/api/personalization/user-profile/<user_id:str>"): STAFF_READ,
    ("POST", "/api/personalization/recommendations"): STAFF_READ,
    ("POST", "/api/personalization/behavior-event"): STAFF_WRITE,
    ("POST", "/api/personalization/segmentation"): STAFF_WRITE,
    ("GET", "/api/personalization/segments"): STAFF_READ,
    ("GET", "/health"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/api/admin/settings"): ADMINS,
    ("PUT", "/api/admin/settings"): ADMINS,
    ("GET", "/api/admin/export/conversations"): EXPORT,
    ("GET", "/api/admin/export/messages"): EXPORT,
    ("GET", "/api/admin/export/users"): EXPORT,
    ("POST", "/api/admin/export"): EXPORT,
    ("GET", "/api/admin/export/<export_id:str>"): EXPORT,
    ("GET", "/api/admin/export/<export_id:str>/download"): EXPORT,
    ("GET", "/api/admin/analytics"): ANALYTICS,
    ("GET", "/api/admin/analytics/dashboard"): ANALYTICS,
    ("GET", "/admin"): PUBLIC,
    ("GET", "/admin/assets/<name:str>"): PUBLIC,
    ("POST", "/api/memory/knowledge/search"): SIGNED_IN,
}
ROLES = {SIGNED_IN: {"customer", "agent", "admin"}, CUSTOMERS: {"customer"}, ADMINS: {"admin"},
         USERS_READ: {"admin"}, USERS_WRITE: {"admin"}, GDPR: {"admin"}, ANALYTICS: {"admin"},
         STAFF_READ: {"agent", "admin"}, STAFF_WRITE: {"agent", "admin"}, EXPORT: {"admin"}}  # fmt: skip
KEY_SCOPE = {USERS_READ: "users:read", USERS_WRITE: "users:write", GDPR: "gdpr", EXPORT: "export",
             STAFF_READ: "conversations:read", STAFF_WRITE: "conversations:write", ANALYTICS: "analytics:read"}  # fmt: skip
CALLERS = ("nobody", "expired", "forged", "customer", "agent", "admin", "key_all_scopes", "key_no_scope")


def expected(rule: str, caller: str) -> str:
    """``401``, ``403`` or ``in`` (past authentication and authorization)."""
    if rule == PUBLIC:
        return "in"
    if caller in ("nobody", "expired", "forged"):
        return "401"
    if caller.startswith("key_"):
        return "in" if caller == "key_all_scopes" and rule in KEY_SCOPE else "403"
    return "in" if caller in ROLES[rule] else "403"


@pytest.fixture(scope="module")
def callers(api: Api) -> Dict[str, Client]:
    admin = api.accounts[ADMIN_EMAIL]
    everything = data(api.admin.post("/api/admin/api-keys", {"name": "all", "scopes": list(SCOPES)}), 201)[
        "key"
    ]
    nothing = data(api.admin.post("/api/admin/api-keys", {"name": "none", "scopes": []}), 201)["key"]
    return {
        "nobody": api.anonymous,
        "expired": api.client(
            issue_access(api.settings.jwt_secret or "", admin.id, admin.id, "admin", "A", -5)[0]
        ),
        "forged": api.client(
            issue_access("not-the-secret-not-the-secret-123", admin.id, admin.id, "admin", "A", 15)[0]
        ),
        "customer": api.customer,
        "agent": api.agent,
        "admin": api.admin,
        "key_all_scopes": api.client(api_key=everything),
        "key_no_scope": api.client(api_key=nothing),
    }


def test_the_table_names_every_route_of_the_app(api: Api) -> None:
    routes = {(spec.method, spec.path) for spec in specs(api.server.app)}
    assert routes == set(EXPECTED), routes ^ set(EXPECTED)


@pytest.mark.parametrize("caller", CALLERS)
def test_every_endpoint_answers_each_caller_as_it_should(
    api: Api, callers: Dict[str, Client], caller: str
) -> None:
    client, wrong = callers[caller], []
    for (method, path), rule in EXPECTED.items():
        url = path.replace("<user_id:str>", "nobody").replace("<key_id:str>", "nokey")
        url = url.replace("<conversation_id:str>", "no-such-conversation").replace("<memory_id:str>", "mem-0")
        url = url.replace("<session_id:str>", "no-such-session").replace("<export_id:str>", "noexport")
        url = url.replace("<name:str>", "none.js")
        body = {"__not_a_field__": 1} if method in ("POST", "PUT") else None
        status = client.call(method, url, body).status_code
        want = expected(rule, caller)
        got = str(status) if status in (401, 403) else "in"
        if got != want or status >= 500:
            wrong.append(f"{method} {path}: {status}, expected {want}")
    assert not wrong, "\n".join(wrong)
