"""A schema-driven fuzz of every endpoint, against the running stack (PostgreSQL, Redis, the
action server, a Rasa server with the web channel): hypothesis builds requests from the app's
own OpenAPI document (bodies and query parameters that fit the schemas, and junk that does
not; path ids that exist and ids that cannot), sent by a caller who may use the endpoint.
No answer may be a 5xx, and every answer of the API keeps the envelope."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin_api.app import create_app
from admin_api.openapi import document
from assistant.settings import Settings
from assistant.store.account_models import Account
from assistant.system_settings import CACHE_SECONDS, DEFAULTS
from tests.admin_api.conftest import ADMIN_EMAIL, AGENT_EMAIL, JANE_EMAIL, StackApi
from tests.admin_api.server import Client, data

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("dashboard_dist")]  # /admin is served
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=6)  # fmt: skip
EXAMPLES = 12
REACHED: Dict[str, set] = {}  # operation -> statuses seen
NOT_JSON = ("/api/docs", "/api/openapi.json", "/metrics")  # always answered in their own format
FILES = ("/api/admin/export/conversations", "/api/admin/export/messages", "/api/admin/export/users",
         "/api/admin/export/{export_id}/download")  # a file when 2xx, the envelope otherwise  # fmt: skip


def from_schema(schema: Dict[str, Any]) -> st.SearchStrategy:
    """Values that fit ``schema`` (the JSON Schema subset the API uses)."""
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}) for k in kind])
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema["items"]), max_size=min(schema.get("maxItems", 5), 5))
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        props = schema["properties"]
        return st.fixed_dictionaries({k: from_schema(v) for k, v in props.items() if k in required},
                                     optional={k: from_schema(v) for k, v in props.items() if k not in required})  # fmt: skip
    return JSON


def _string(schema: Dict[str, Any]) -> st.SearchStrategy:
    if schema.get("format") == "email":
        return st.emails().filter(lambda e: len(e) <= 254)
    if schema.get("format") == "date-time":
        return st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(
            lambda d: d.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z"))  # fmt: skip
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 60), 60)
    return st.text(min_size=low, max_size=max(low, high))


def maybe_junk(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, strategy, strategy, JSON)


def operations(app: Any) -> List[Tuple[str, str, Dict[str, Any]]]:
    doc = document(app)
    return [(method.upper(), path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def caller_for(stack_api: StackApi, op: Dict[str, Any], path: str) -> Client:
    api = stack_api.api
    access = op["x-access"]
    if path in ("/api/auth/logout", "/api/auth/password"):  # their own token: these end sessions
        return api.client(api.token_for(AGENT_EMAIL))
    if access == "public":
        return api.anonymous
    if access.startswith("customer"):
        return api.customer
    if "agent" in access:
        return api.agent
    if path.startswith("/api/auth/"):
        return api.client(api.token_for(AGENT_EMAIL))
    return api.admin


@pytest.fixture(scope="module", autouse=True)
def shared_state_restored(stack_api: StackApi) -> Iterator[None]:
    """The fuzz may rename the agent (its own profile), turn auto replies off or cut the bot's
    texts: the tests after it (same stack) get the names and the default settings back, once
    the Rasa server has read them again."""
    api = stack_api.api
    names = {account.id: account.name for account in api.accounts.values()}
    yield
    with api.store.session() as s:
        for account_id, name in names.items():
            s.get(Account, account_id).name = name
    data(api.admin.put("/api/admin/settings", DEFAULTS.as_dict()))
    time.sleep(CACHE_SECONDS + 0.2)


@pytest.fixture(scope="module")
def id_pool(stack_api: StackApi) -> List[str]:
    api = stack_api.api
    started = api.customer.post("/api/chat/conversations", {"title": "fuzz"}).json()["data"]["id"]
    protected = {api.accounts[e].id for e in (ADMIN_EMAIL, AGENT_EMAIL, JANE_EMAIL)}
    return [started, "nobody", "chat-0", "x" * 255, "1", "mem-1"] + [
        i for i in ("customer-1",) if i not in protected
    ]


def declared_operations() -> List[Tuple[str, str]]:
    """Every operation of a freshly built app (building one opens nothing: pools open when it serves)."""
    return [(method, path) for method, path, _ in operations(create_app(Settings.from_env({})))]


def test_every_endpoint_of_the_running_app_is_fuzzed(stack_api: StackApi) -> None:
    running = [(method, path) for method, path, _ in operations(stack_api.api.server.app)]
    assert len(running) >= 40 and running == declared_operations()


@pytest.mark.parametrize("method, path", declared_operations())
def test_no_request_built_from_the_schema_gets_a_5xx(
    stack_api: StackApi, id_pool: List[str], method: str, path: str
) -> None:
    op = {(m, p): o for m, p, o in operations(stack_api.api.server.app)}[(method, path)]
    client = caller_for(stack_api, op, path)
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    query = {p["name"]: p["schema"] for p in op["parameters"] if p["in"] == "query"}
    names = [p["name"] for p in op["parameters"] if p["in"] == "path"]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(
        ids=st.fixed_dictionaries(
            {n: st.sampled_from(id_pool) | st.text(min_size=1, max_size=30) for n in names}
        ),
        body=maybe_junk(from_schema(body_schema)) if body_schema else st.none(),
        params=st.fixed_dictionaries(
            {}, optional={k: maybe_junk(from_schema(v)).map(str) for k, v in query.items()}
        ),
    )
    def attempt(ids: Dict[str, str], body: Any, params: Dict[str, str]) -> None:
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", quote(value, safe=""))
        answer = client.call(method, url, body, params=params)
        REACHED.setdefault(f"{method} {path}", set()).add(answer.status_code)
        assert (
            answer.status_code < 500
        ), f"{method} {url} {body!r} {params!r} -> {answer.status_code} {answer.text[:500]}"
        if (
            path not in NOT_JSON
            and not (path in FILES and answer.status_code < 300)
            and not path.startswith("/admin")
        ):
            assert "success" in answer.json(), answer.text[:300]

    attempt()


def test_the_fuzz_got_past_the_checks_of_most_endpoints() -> None:
    """Not only 4xx: the generated requests did real work on most endpoints."""
    succeeded = sorted(op for op, statuses in REACHED.items() if any(200 <= s < 300 for s in statuses))
    print(f"fuzz: {len(succeeded)} of {len(REACHED)} operations answered 2xx at least once")
    assert len(REACHED) >= 40 and len(succeeded) >= 20, {op: sorted(s) for op, s in REACHED.items()}
