"""Prometheus metrics of the admin API at ``/metrics`` (text exposition format): requests by
method, route template and status, their latency, and a few figures of the domain read at
scrape time (conversations by status, the handoff queue, accounts by role, export jobs by
status). Each app has its own registry, so several apps in one process do not collide."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sanic.request import Request
from sanic.response import BaseHTTPResponse

from assistant.conversations.lifecycle import WAITING
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.conversation_models import Conversation
from assistant.store.ops_models import ExportJob

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "admin_api_requests", "Requests answered", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram("admin_api_request_duration_seconds", "Time to the answer's first byte",
                                 ["method", "route"], buckets=BUCKETS, registry=r)  # fmt: skip
        self.conversations = Gauge(
            "assistant_conversations", "Conversations by status", ["status"], registry=r
        )
        self.queue = Gauge("assistant_handoff_queue_length", "Conversations waiting for an agent", registry=r)
        self.accounts = Gauge("admin_api_accounts", "Accounts by role", ["role"], registry=r)
        self.exports = Gauge("admin_api_export_jobs", "Export jobs by status", ["status"], registry=r)

    def started(self, request: Request) -> None:
        request.ctx.metrics_started = time.perf_counter()

    def observe(self, request: Request, response: BaseHTTPResponse) -> None:
        started = getattr(request.ctx, "metrics_started", None)
        route = route_of(request)
        self.requests.labels(request.method, route, str(response.status)).inc()
        if started is not None:
            self.latency.labels(request.method, route).observe(time.perf_counter() - started)

    def refresh(self, store: Store) -> None:
        """Reads the domain's figures (blocking: run it in a thread)."""
        with store.session() as s:
            by_status = dict(s.execute(sa.select(Conversation.status, sa.func.count())
                                       .where(Conversation.deleted_at.is_(None)).group_by(Conversation.status)).all())  # fmt: skip
            roles = dict(s.execute(sa.select(Account.role, sa.func.count()).group_by(Account.role)).all())
            jobs = dict(
                s.execute(sa.select(ExportJob.status, sa.func.count()).group_by(ExportJob.status)).all()
            )
        _set(self.conversations, by_status)
        self.queue.set(by_status.get(WAITING, 0))
        _set(self.accounts, roles)
        _set(self.exports, jobs)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_of(request: Request) -> str:
    """The matched route's template (bounded label values), or ``unmatched``."""
    route: Any = getattr(request, "route", None)
    return f"/{route.path}" if route is not None else "unmatched"


def _set(gauge: Gauge, values: dict) -> None:
    gauge.clear()
    for label, value in values.items():
        gauge.labels(str(label)).set(value)
