"""A production-like stack of the chaos tests' own: a PostgreSQL cluster and a Redis started for
these tests (never the machine's shared ones), the seeded store, our action server and one Rasa
server, with short retry budgets so an outage of a few seconds shows as visible failures."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Iterator

import pytest

from assistant.settings import Settings
from assistant.store import build_store
from assistant.store.seed import seed
from tests.chaos.services import EphemeralPostgres, EphemeralRedis
from tests.integration.conftest import MODEL, ROOT, Server, Stack, start_action_server

RETRY_ENV = {"STORE_RETRY_SECONDS": "1.5", "TURN_TIMEOUT_SECONDS": "4", "RETRY_AFTER_SECONDS": "1"}


@dataclass
class ChaosStack:
    """The servers and the services the tests may break."""

    stack: Stack
    rasa: Server
    postgres: EphemeralPostgres
    redis: EphemeralRedis
    database_url: str


@pytest.fixture(scope="session")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosStack]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it) first")
    workdir = tmp_path_factory.mktemp("chaos")
    postgres, redis = EphemeralPostgres().start(), EphemeralRedis().start()
    stack = Stack(env={}, workdir=workdir, action_url="")
    try:
        database_url = postgres.create_database("support")
        store = build_store(Settings(var_dir=workdir, database_url=database_url))
        seed(store)
        store.engine.dispose()
        stack.env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "REDIS_URL": redis.url,
                     "REDIS_LOCK_PREFIX": f"c{uuid.uuid4().hex[:8]}", "ASSISTANT_VAR_DIR": str(workdir),
                     "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "SANIC_WORKERS": "1", **RETRY_ENV}  # fmt: skip
        actions = start_action_server(stack.env, workdir)
        stack.servers.append(actions)
        stack.action_url = actions.url
        yield ChaosStack(stack, stack.start_rasa(), postgres, redis, database_url)
    finally:
        for server in reversed(stack.servers):
            server.stop()
        redis.stop()
        postgres.destroy()
