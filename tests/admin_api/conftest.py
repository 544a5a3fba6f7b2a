"""The admin API served over real HTTP on loopback: on SQLite and on a PostgreSQL database of
its own (``api``, once per module for each), and with the whole stack (``stack_api``: seeded
PostgreSQL, Redis, the action server and a Rasa server with the web channel) for the handoff
end to end and the fuzz run."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator

import pytest

from admin_api.accounts.admin import create_user
from admin_api.security.tokens import issue_access, subject
from assistant.conversations.tracker_events import EVENTS
from assistant.settings import Settings
from assistant.store import Store, build_store
from assistant.store.account_models import Account
from assistant.store.seed import seed
from tests.admin_api.server import ApiServer, Client, data
from tests.channels.chat import SECRET
from tests.conftest import PG_URL_TEMPLATE, REDIS_URL, _admin
from tests.integration.conftest import Server, Stack, start_action_server

PASSWORD = "correct horse battery"
ADMIN_EMAIL, AGENT_EMAIL, JANE_EMAIL = "admin@test.example", "agent@test.example", "jane.doe@example.com"


@dataclass
class Api:
    """A running admin API and ready-made clients for each role."""

    server: ApiServer
    store: Store
    settings: Settings
    admin: Client
    agent: Client
    customer: Client
    anonymous: Client
    accounts: Dict[str, Account]

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str = "", api_key: str = "") -> Client:
        return Client(self.url, token or None, api_key or None)

    def token_for(self, email: str, minutes: int = 15) -> str:
        account = self.accounts[email]
        sub = subject(account.id, account.role, account.customer_id)
        return issue_access(SECRET, account.id, sub, account.role, account.name, minutes)[0]


def fresh_pg_database() -> str:
    name = f"admin_api_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_for(var_dir: Path, database_url: str = "", **extra: object) -> Settings:
    values = dict(var_dir=var_dir, database_url=database_url, jwt_secret=SECRET, support_hours="always",
                  rasa_url="http://127.0.0.1:9", rasa_timeout_seconds=5.0, login_failures_per_ip=1000,
                  rate_limit_requests=100_000)  # fmt: skip
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def start_api(settings: Settings) -> Api:
    """Seeds the store, creates an admin, an agent and Jane's customer account, serves the API."""
    store = build_store(settings)
    seed(store)
    EVENTS.metadata.create_all(create_tracker_engine(settings))  # the table Rasa would create
    accounts = {
        email: create_user(store, email, name, role, PASSWORD, None)
        for email, name, role in (
            (ADMIN_EMAIL, "Ada Admin", "admin"),
            (AGENT_EMAIL, "Alice Agent", "agent"),
            (JANE_EMAIL, "Jane Doe", "customer"),
        )  # fmt: skip
    }
    server = ApiServer(settings).start()
    api = Api(server, store, settings, Client(server.url), Client(server.url), Client(server.url),
              Client(server.url), accounts)  # fmt: skip
    api.admin, api.agent, api.customer = (
        api.client(api.token_for(e)) for e in (ADMIN_EMAIL, AGENT_EMAIL, JANE_EMAIL)
    )
    return api


def create_tracker_engine(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.store.repository import create_db_engine

    return create_db_engine(settings.tracker_store_url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    var_dir = tmp_path_factory.mktemp("admin-api")
    database = fresh_pg_database() if request.param == "postgresql" else None
    url = PG_URL_TEMPLATE.format(db=database) if database else ""
    running = start_api(settings_for(var_dir, url))
    yield running
    running.server.stop()
    running.store.engine.dispose()
    if database:
        drop_pg_database(database)


# --- the whole stack: PostgreSQL, Redis, action server, Rasa server with the web channel ---------


@dataclass
class StackApi:
    api: Api
    rasa: Server
    stack: Stack
    database_url: str


@pytest.fixture(scope="package")
def stack_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackApi]:
    workdir = tmp_path_factory.mktemp("admin-stack")
    database = fresh_pg_database()
    url = PG_URL_TEMPLATE.format(db=database)
    prefix = f"adm{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "DATABASE_URL": url,
           "REDIS_URL": REDIS_URL, "REDIS_LOCK_PREFIX": prefix, "ASSISTANT_VAR_DIR": str(workdir),
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "WEBCHAT_JWT_SECRET": SECRET, "SUPPORT_HOURS": "always",
           "WEBCHAT_REDIS_PREFIX": prefix, "WEBCHAT_TRUSTED_PROXIES": "127.0.0.1",
           "WEBCHAT_MESSAGES_PER_MINUTE": "200", "QUEUE_NOTICE_SECONDS": "600"}  # fmt: skip
    settings = settings_for(workdir, url)
    build_store(settings).engine.dispose()
    actions = start_action_server(env, workdir)
    stack = Stack(env=env, workdir=workdir, action_url=actions.url, servers=[actions])
    try:
        rasa = stack.start_rasa()
        api = start_api(settings_for(workdir, url, rasa_url=rasa.url))
    except BaseException:
        for server in stack.servers:
            server.stop()
        drop_pg_database(database)
        raise
    yield StackApi(api, rasa, stack, url)
    api.server.stop()
    api.store.engine.dispose()
    for server in reversed(stack.servers):
        server.stop()
    drop_pg_database(database)


__all__ = ["Api", "StackApi", "data", "PASSWORD", "ADMIN_EMAIL", "AGENT_EMAIL", "JANE_EMAIL"]
