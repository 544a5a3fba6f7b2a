"""Operations over real HTTP: ``/health`` reports each dependency (database, Redis, the Rasa
server, the action server; the ones down as down), readiness follows the database and Redis,
``/metrics`` has the request counters and the domain's figures, and the rate limit per caller
(headers on every answer, 429 with Retry-After in the envelope) counts in memory or in Redis."""

from __future__ import annotations

import dataclasses
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

import pytest
import redis

from tests.admin_api.conftest import Api, StackApi
from tests.admin_api.server import ApiServer, Client, data
from tests.conftest import REDIS_URL

DOWN = "http://127.0.0.1:9"


@contextmanager
def server(settings: Any, **changes: Any) -> Iterator[ApiServer]:
    """Another admin API on the same database, with ``changes`` to its settings."""
    running = ApiServer(dataclasses.replace(settings, **changes)).start()
    try:
        yield running
    finally:
        running.stop()


def test_health_reports_each_dependency_and_the_ones_down(api: Api) -> None:
    with server(
        api.settings, rasa_url=DOWN, action_server_url=DOWN, redis_url="redis://127.0.0.1:9/0"
    ) as down:
        report = data(Client(down.url).get("/health"))
        assert report["status"] == "degraded"
        checks = report["checks"]
        assert checks["database"]["ok"] is True
        assert {name: checks[name]["ok"] for name in ("redis", "rasa_server", "action_server")} == {
            "redis": False, "rasa_server": False, "action_server": False}  # fmt: skip
        assert checks["rasa_server"]["error"] and "ms" in checks["action_server"]
        ready = Client(down.url).get("/api/health/ready")
        assert ready.status_code == 503 and ready.json()["error"]["details"]["checks"]["redis"]["ok"] is False
        assert Client(down.url).get("/api/health/live").status_code == 200


def test_without_redis_it_is_reported_as_not_configured(api: Api) -> None:
    checks = data(api.anonymous.get("/health"))["checks"]
    assert checks["redis"] == {"ok": True, "configured": False} and checks["database"]["ok"] is True
    assert data(api.anonymous.get("/api/health/ready"))["status"] == "ready"


@pytest.mark.integration
def test_health_with_every_dependency_up(stack_api: StackApi) -> None:
    with server(
        stack_api.api.settings, action_server_url=stack_api.stack.action_url, redis_url=REDIS_URL
    ) as up:
        body = data(Client(up.url).get("/health"))
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "redis": True, "rasa_server": True, "action_server": True}  # fmt: skip


def test_metrics_count_requests_by_route_and_status_and_show_the_domain(api: Api) -> None:
    data(api.admin.get("/api/admin/settings"))
    api.agent.get("/api/admin/settings")
    api.admin.get("/no/such/route")
    answer = api.anonymous.get("/metrics")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    assert 'admin_api_requests_total{method="GET",route="/api/admin/settings",status="200"}' in text
    assert 'admin_api_requests_total{method="GET",route="/api/admin/settings",status="403"}' in text
    assert 'route="unmatched",status="404"' in text
    assert (
        'admin_api_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/admin/settings"}'
        in text
    )
    assert 'admin_api_accounts{role="admin"}' in text and "assistant_handoff_queue_length" in text
    assert "admin_api_export_jobs" in text


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_rate_limit_per_caller_with_headers_and_429(api: Api, backend: str) -> None:
    prefix = f"rltest{uuid.uuid4().hex[:8]}"
    changes = {"rate_limit_requests": 3, "rate_limit_window_seconds": 60, "redis_key_prefix": prefix,
               "redis_url": REDIS_URL if backend == "redis" else None}  # fmt: skip
    with server(api.settings, **changes) as limited:
        admin, agent = (
            Client(limited.url, api.token_for(e)) for e in ("admin@test.example", "agent@test.example")
        )
        answers = [admin.get("/api/admin/settings") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}
        reset = int(answers[0].headers["X-RateLimit-Reset"])
        assert time.time() < reset <= time.time() + 61
        refused = answers[3]
        error = refused.json()["error"]
        assert error["code"] == "RATE_LIMIT_EXCEEDED" and refused.json()["success"] is False
        assert 1 <= int(refused.headers["Retry-After"]) <= 60 and error["details"]["retry_after"] == int(
            refused.headers["Retry-After"]
        )
        assert agent.get("/api/admin/settings").status_code == 403, "another caller has their own quota"
        assert agent.get("/api/admin/settings").headers["X-RateLimit-Remaining"] == "1"
        assert Client(limited.url).get("/api/health/live").status_code == 200, "probes are not limited"
        assert "X-RateLimit-Limit" not in Client(limited.url).get("/metrics").headers
        if backend == "redis":
            keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:ratelimit:*")
            assert len(keys) == 2, keys
            with server(api.settings, **changes) as other:  # a second process shares the counters
                assert (
                    Client(other.url, api.token_for("admin@test.example"))
                    .get("/api/admin/settings")
                    .status_code
                    == 429
                )


def test_anonymous_callers_are_limited_by_address(api: Api) -> None:
    with server(api.settings, rate_limit_requests=2, rate_limit_window_seconds=60) as limited:
        anonymous = Client(limited.url)
        statuses = [anonymous.get("/api/admin/settings").status_code for _ in range(3)]
        assert statuses == [401, 401, 429]
        assert Client(limited.url, "not-a-token").get("/api/admin/users").status_code == 429, "same address"
