"""The servers the channel throughput benchmarks run against (not a benchmark itself): a
temporary PostgreSQL database with Redis, and our action server plus a Rasa server with the
channel's settings, started from the project's virtualenv and stopped afterwards."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

from _common import PROJECT_ROOT
from turn_latency import spawn, stop, wait_ready

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def database(prefix: str) -> Iterator[Dict[str, str]]:
    """Environment for the servers: a temporary PostgreSQL database (dropped afterwards) and Redis."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}",
               "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_LOCK_PREFIX": f"b{uuid.uuid4().hex[:6]}"}  # fmt: skip
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def servers(rasa_port: int, actions_port: int, run_dir: Path, channel_env: Dict[str, str]) -> Iterator[str]:
    """The action server and a Rasa server (models/current.tar.gz, credentials.yml) with
    ``channel_env`` (and no DATABASE_URL/REDIS_URL but those it names); yields the Rasa URL."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), RASA_TELEMETRY_ENABLED="false", ASSISTANT_VAR_DIR=str(run_dir),
               **channel_env)  # fmt: skip
    endpoints = run_dir / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n"
                         "tracker_store:\n  type: assistant.plugins.tracker_store.RedactingSQLTrackerStore\n"
                         "lock_store:\n  type: assistant.plugins.lock_store.ConfiguredLockStore\n")  # fmt: skip
    python, rasa = str(VENV_BIN / "python"), str(VENV_BIN / "rasa")
    actions = spawn([python, "-m", "assistant.action_server", "--actions", "actions", "--port",
                     str(actions_port)], run_dir / "actions.log", env)  # fmt: skip
    server = spawn([rasa, "run", "--enable-api", "-m", str(PROJECT_ROOT / "models" / "current.tar.gz"),
                    "--endpoints", str(endpoints), "--credentials", "credentials.yml", "-p", str(rasa_port)],
                   run_dir / "rasa.log", env)  # fmt: skip
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        wait_ready(f"http://127.0.0.1:{actions_port}/health/live", actions, run_dir / "actions.log", 180)
        wait_ready(f"{url}/status", server, run_dir / "rasa.log", 600)
        yield url
    finally:
        stop(server, "rasa server")
        stop(actions, "action server")
