"""Real servers for the web channel tests: the seeded PostgreSQL database, Redis and action
server of tests/integration (fixture ``stack``), the web chat page built with npm, and two Rasa
servers with the web channel sharing one Redis socket.io queue, started together once per
session. Nothing is mocked; a missing service fails the session."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import redis

from tests.channels.chat import SECRET
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.conftest import REDIS_URL
from tests.integration import conftest as integration
from tests.integration.conftest import Server, Stack, wait_until_up

# The session's PostgreSQL database, seeded store, Redis and action server, as in tests/integration.
stack = integration.stack

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CONNECTIONS_PER_IP = 20
MESSAGES_PER_MINUTE = 12
EVENTS_PER_MINUTE = 40

WEB_ENV = {
    "WEBCHAT_JWT_SECRET": SECRET,
    "WEBCHAT_ALLOW_ANONYMOUS": "true",
    "WEBCHAT_MESSAGES_PER_MINUTE": str(MESSAGES_PER_MINUTE),
    "WEBCHAT_CONNECTIONS_PER_IP": str(CONNECTIONS_PER_IP),
    "WEBCHAT_EVENTS_PER_MINUTE": str(EVENTS_PER_MINUTE),
    # Tests play clients at other addresses through X-Forwarded-For from loopback.
    "WEBCHAT_TRUSTED_PROXIES": "127.0.0.1",
}


@pytest.fixture(scope="session")
def graph() -> Iterator[FakeGraph]:
    """The loopback stand-in for Meta's Graph API (the WhatsApp channel's far end)."""
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def redis_prefix() -> str:
    redis.Redis.from_url(REDIS_URL).ping()
    return f"wct{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def web_servers(stack: Stack, webchat_dist: Path, redis_prefix: str) -> Iterator[List[Server]]:
    """Two Rasa servers with the web channel, on one Redis queue, started in parallel."""
    env = {**WEB_ENV, "WEBCHAT_REDIS_PREFIX": redis_prefix}
    servers = [stack.spawn_rasa(env) for _ in range(2)]
    for server in servers:
        wait_until_up(f"{server.url}/status", server.process, server.log, timeout=480)
    yield servers
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{redis_prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def web(web_servers: List[Server]) -> Server:
    """The Rasa server most tests talk to."""
    return web_servers[0]


@pytest.fixture(scope="session")
def web_other(web_servers: List[Server]) -> Server:
    """A second Rasa process behind the same Redis (lock store and socket.io queue)."""
    return web_servers[1]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/channels/artifacts/ (gitignored), emptied of the previous session's files."""
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("webchat-*"):
        old.unlink()
    return ARTIFACTS
