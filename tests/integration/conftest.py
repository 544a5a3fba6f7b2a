"""Starts the real action server and Rasa server (with the trained model) on loopback, backed by
this test session's PostgreSQL database and the machine's Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
import requests

from assistant.settings import Settings
from assistant.store import build_store
from assistant.store.seed import seed
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
RASA = str(ROOT / ".venv" / "bin" / "rasa")
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


@dataclass
class Server:
    """A running server process and where its output goes."""

    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class Stack:
    """Environment shared by the servers of one test session."""

    env: Dict[str, str]
    workdir: Path
    action_url: str
    servers: List[Server] = field(default_factory=list)

    def spawn_rasa(self, env: Optional[Dict[str, str]] = None) -> Server:
        """Starts a Rasa server on a free port without waiting for it to be ready."""
        port = free_port()
        endpoints = self.workdir / f"endpoints-{port}.yml"
        endpoints.write_text(
            f"action_endpoint:\n  url: {self.action_url}/webhook\n"
            "tracker_store:\n  type: assistant.plugins.tracker_store.RedactingSQLTrackerStore\n"
            "lock_store:\n  type: assistant.plugins.lock_store.ConfiguredLockStore\n"
        )
        command = [RASA, "run", "--enable-api", "--port", str(port), "--model", str(MODEL),
                   "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml")]  # fmt: skip
        server = _spawn(command, {**self.env, **(env or {})}, self.workdir / f"rasa-{port}.log")
        server.url = f"http://127.0.0.1:{port}"
        self.servers.append(server)
        return server

    def start_rasa(self, env: Optional[Dict[str, str]] = None) -> Server:
        """Starts a Rasa server and waits until it answers."""
        server = self.spawn_rasa(env)
        wait_until_up(f"{server.url}/status", server.process, server.log)
        return server


def start_action_server(env: Dict[str, str], workdir: Path, port: Optional[int] = None) -> Server:
    """Our action server (assistant/action_server.py: failure reports, health) on ``port`` (a
    free one by default)."""
    port = port or free_port()
    command = [PYTHON, "-m", "assistant.action_server", "--actions", "actions", "--port", str(port)]
    server = _spawn(command, env, workdir / f"actions-{port}.log")
    server.url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{server.url}/health/live", server.process, server.log)
    return server


def _spawn(command: List[str], env: Dict[str, str], log: Path) -> Server:
    handle = log.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Server(url="", process=process, log=log)


@pytest.fixture(scope="session")
def stack(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Seeded store in PostgreSQL, Redis lock store, and a running action server."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it) first")
    workdir = tmp_path_factory.mktemp("stack")
    settings = Settings(var_dir=workdir, database_url=pg_database)
    store = build_store(settings)
    seed(store)
    store.engine.dispose()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": pg_database,
           "REDIS_URL": REDIS_URL, "REDIS_LOCK_PREFIX": f"t{uuid.uuid4().hex[:8]}",
           "ASSISTANT_VAR_DIR": str(workdir), "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "MEMORY_CACHE_PREFIX": f"mem{uuid.uuid4().hex[:8]}"}  # fmt: skip
    actions = start_action_server(env, workdir)
    stack = Stack(env=env, workdir=workdir, action_url=actions.url, servers=[actions])
    yield stack
    for server in reversed(stack.servers):
        server.stop()


@pytest.fixture(scope="session")
def rasa(stack: Stack) -> Server:
    """One Rasa server for the tests that don't restart it."""
    return stack.start_rasa()


def say(server: Server, sender: str, text: str, timeout: float = 30) -> List[Dict]:
    """Sends ``text`` over the REST webhook and returns the bot's messages."""
    response = requests.post(f"{server.url}/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}, timeout=timeout)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def texts(messages: List[Dict]) -> str:
    return " ".join(m.get("text", "") for m in messages)


def new_sender() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


__all__ = ["Server", "Stack", "say", "texts", "new_sender", "start_action_server", "new_processing_order"]


def new_processing_order(database_url: str, customer_id: int) -> int:
    """A fresh, not yet shipped order of ``customer_id`` (tests that cancel one get their own)."""
    import psycopg2

    order_id = 60_000_000 + uuid.uuid4().int % 9_999_999
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT address, postcode FROM customers WHERE id = %s", (customer_id,))
        address, postcode = cur.fetchone()
        cur.execute(
            "INSERT INTO orders (id, customer_id, items, total, status, placed_at, shipping_address, "
            "shipping_postcode) VALUES (%s, %s, %s, 25.00, 'processing', now(), %s, %s)",
            (
                order_id,
                customer_id,
                '[{"name": "USB-C phone charger", "quantity": 1, "price": 25.0}]',
                address,
                postcode,
            ),
        )
    return order_id
