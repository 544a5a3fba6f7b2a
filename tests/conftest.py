"""Shared fixtures: a fresh store on SQLite and on the machine's PostgreSQL, and rasa-sdk
trackers for calling actions directly."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from datetime import date
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import psycopg2
import pytest
from rasa_sdk import Tracker

from actions import services
from assistant.settings import Settings
from assistant.store import Store, build_store
from assistant.store.seed import seed

PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL_TEMPLATE = os.environ.get("TEST_PG_URL_TEMPLATE", "postgresql://postgres@127.0.0.1:5432/{db}")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TODAY = date.today()


def _admin(sql: str) -> None:
    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, dropped at the end."""
    name = f"support_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    yield PG_URL_TEMPLATE.format(db=name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_SQLITE_TEMPLATE: Dict[str, Path] = {}


def _fresh_store(settings: Settings) -> Store:
    """A seeded store: on SQLite a copy of one seeded file (DDL is slow there), on PostgreSQL
    the tables dropped, created and seeded again."""
    if settings.database_url.startswith("sqlite"):
        return _copied_sqlite_store(settings)
    store = build_store(settings)
    store.drop_schema()
    store.create_schema()
    seed(store, today=TODAY)
    return store


def _copied_sqlite_store(settings: Settings) -> Store:
    if "path" not in _SQLITE_TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="store-template-"))
        seeded = build_store(Settings(var_dir=template))
        seed(seeded, today=TODAY)
        seeded.engine.dispose()
        _SQLITE_TEMPLATE["path"] = template / "store.db"
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SQLITE_TEMPLATE["path"], settings.var_dir / "store.db")
    return build_store(settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A freshly seeded store, once on SQLite and once on PostgreSQL; the actions use it."""
    if request.param == "sqlite":
        settings = Settings(var_dir=tmp_path)
    else:
        settings = Settings(var_dir=tmp_path, database_url=request.getfixturevalue("pg_database"))
    yield from _used_by_the_actions(_fresh_store(settings), settings)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A freshly seeded store on SQLite only, for tests whose subject is not the database."""
    settings = Settings(var_dir=tmp_path)
    yield from _used_by_the_actions(_fresh_store(settings), settings)


@pytest.fixture
def pg_store(pg_database: str, tmp_path: Path) -> Iterator[Store]:
    """A freshly seeded store on PostgreSQL only, for what SQLite cannot show (concurrent writers)."""
    settings = Settings(var_dir=tmp_path, database_url=pg_database)
    yield from _used_by_the_actions(_fresh_store(settings), settings)


def _used_by_the_actions(store: Store, settings: Settings) -> Iterator[Store]:
    services.use_settings(settings)
    services.use_store(store)
    services.use_system_settings(None)  # read again from this store
    yield store
    services.use_store(None)
    services.use_system_settings(None)
    services.use_settings(None)
    store.engine.dispose()


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    entities: Optional[List[Dict[str, Any]]] = None,
    events: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    sender_id: Optional[str] = None,
    verified: Optional[int] = None,
    claimed: Optional[int] = None,
    metadata: Optional[Dict[str, Any]] = None,
) -> Tracker:
    """A rasa-sdk tracker as the action server receives it; ``verified``/``claimed`` give the
    conversation that customer's identity (the slots only channels and codes set)."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0},
              "entities": entities or [], "intent_ranking": [{"name": intent, "confidence": 1.0}]}  # fmt: skip
    user_event = {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}
    identity: Dict[str, Any] = {"verification": "anonymous"}
    if verified is not None or claimed is not None:
        identity = {"customer_id": float(verified if verified is not None else claimed),  # type: ignore[arg-type]
                    "verification": "verified" if verified is not None else "claimed"}  # fmt: skip
    return Tracker(
        sender_id=sender_id or f"test-{uuid.uuid4().hex[:8]}",
        slots={"order_id_attempts": 0, **identity, **(slots or {})},
        latest_message=latest,
        events=(events or []) + [user_event],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="session")
def webchat_dist() -> Path:
    """webchat/dist/, built by scripts/build_webchat.sh (npm ci; a no-op when up to date)."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        ["bash", str(root / "scripts" / "build_webchat.sh")], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/build_webchat.sh failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return root / "webchat" / "dist"


@pytest.fixture(scope="session")
def dashboard_dist() -> Path:
    """admin_dashboard/dist/, built by scripts/build_dashboard.sh (npm ci; a no-op when up to date)."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        ["bash", str(root / "scripts" / "build_dashboard.sh")], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/build_dashboard.sh failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return root / "admin_dashboard" / "dist"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: apt-get update && apt-get install -y chromium")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        await browser.close()
