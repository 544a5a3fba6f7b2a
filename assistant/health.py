"""Readiness probes shared by the Rasa server and the action server.

Liveness answers whenever the process serves HTTP. Readiness also checks, with a short timeout,
every dependency the server needs to complete a turn: a fresh connection to the database (so a
stale pooled connection cannot look healthy) and, when ``REDIS_URL`` is set, a Redis PING.
A load balancer stops routing to a server that is not ready and routes again once it is.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import redis
import requests
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

Probe = Callable[[], None]


@dataclass(frozen=True)
class Check:
    """The result of one probe."""

    name: str
    ok: bool
    milliseconds: float
    error: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"ok": self.ok, "ms": round(self.milliseconds, 1)}
        if self.error:
            data["error"] = self.error
        return data


def database_probe(url: str, timeout: float) -> Probe:
    """``SELECT 1`` over a new connection to ``url`` (PostgreSQL or SQLite)."""
    connect_args: Dict[str, Any] = {"timeout": timeout}
    if url.startswith("postgresql"):
        connect_args = {"connect_timeout": max(1, round(timeout))}
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)

    def probe() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return probe


def redis_probe(url: str, timeout: float) -> Probe:
    """A PING to the Redis at ``url``."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)

    def probe() -> None:
        client.ping()

    return probe


def http_probe(url: str, timeout: float) -> Probe:
    """A GET of ``url`` answered with a status below 500 (the server is up and serving)."""

    def probe() -> None:
        answer = requests.get(url, timeout=timeout)
        if answer.status_code >= 500:
            raise RuntimeError(f"HTTP {answer.status_code}")

    return probe


async def run_checks(probes: Dict[str, Probe], timeout: float) -> List[Check]:
    """Runs the probes at once, each in a worker thread, none for longer than ``timeout``."""
    return list(await asyncio.gather(*(_check(name, probe, timeout) for name, probe in probes.items())))


async def _check(name: str, probe: Probe, timeout: float) -> Check:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, probe), timeout)
    except asyncio.TimeoutError:
        return Check(name, False, (time.perf_counter() - start) * 1000, "timeout")
    except Exception as error:  # a probe fails in whatever way its driver fails
        return Check(name, False, (time.perf_counter() - start) * 1000, type(error).__name__)
    return Check(name, True, (time.perf_counter() - start) * 1000)


def readiness_report(checks: List[Check]) -> Tuple[Dict[str, Any], int]:
    """The JSON body and HTTP status of a readiness answer: 200 when every check passed."""
    ready = all(check.ok for check in checks)
    body = {"status": "ready" if ready else "unavailable", "checks": {c.name: c.as_dict() for c in checks}}
    return body, 200 if ready else 503


LIVENESS = {"status": "alive"}
