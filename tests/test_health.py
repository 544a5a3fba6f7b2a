from __future__ import annotations

import asyncio
import time
from pathlib import Path

from assistant.health import database_probe, readiness_report, redis_probe, run_checks
from tests.chaos.services import free_port
from tests.conftest import REDIS_URL


def test_reachable_dependencies_make_a_server_ready(pg_database: str, tmp_path: Path) -> None:
    probes = {"database": database_probe(pg_database, 1), "redis": redis_probe(REDIS_URL, 1),
              "sqlite": database_probe(f"sqlite:///{tmp_path / 'x.db'}", 1)}  # fmt: skip
    body, status = readiness_report(asyncio.run(run_checks(probes, 1)))
    assert status == 200 and body["status"] == "ready"
    assert all(check["ok"] for check in body["checks"].values())


def test_an_unreachable_dependency_makes_it_unavailable_quickly() -> None:
    port = free_port()  # nothing listens there
    probes = {"database": database_probe(f"postgresql://postgres@127.0.0.1:{port}/x", 1),
              "redis": redis_probe(f"redis://127.0.0.1:{port}/0", 1)}  # fmt: skip
    start = time.monotonic()
    body, status = readiness_report(asyncio.run(run_checks(probes, 1)))
    assert status == 503 and body["status"] == "unavailable" and time.monotonic() - start < 3
    assert (
        body["checks"]["database"]["ok"] is False
        and body["checks"]["database"]["error"] == "OperationalError"
    )
    assert body["checks"]["redis"]["error"] == "ConnectionError"
