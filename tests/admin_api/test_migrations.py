"""One schema history: the migrations build exactly the models' tables on SQLite and on
PostgreSQL, go down and up again, and adopt a database made before Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from assistant.store.repository import create_db_engine
from assistant.store.schema import BASELINE, alembic_config, current, differences, head, upgrade
from tests.admin_api.conftest import drop_pg_database, fresh_pg_database
from tests.conftest import PG_URL_TEMPLATE


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    if request.param == "sqlite":
        made = create_db_engine(f"sqlite:///{tmp_path / 'store.db'}")
        yield made
        made.dispose()
        return
    name = fresh_pg_database()
    made = create_db_engine(PG_URL_TEMPLATE.format(db=name))
    yield made
    made.dispose()
    drop_pg_database(name)


def test_the_migrations_produce_exactly_the_models(engine: sa.engine.Engine) -> None:
    upgrade(engine)
    assert current(engine) == head()
    with engine.connect() as connection:
        assert differences(connection) == []


def test_the_history_goes_down_to_nothing_and_up_again(engine: sa.engine.Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    with engine.connect() as connection:
        assert differences(connection) == []


def test_a_database_made_before_alembic_is_adopted_and_upgraded(engine: sa.engine.Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BASELINE)
        connection.execute(sa.text("DROP TABLE alembic_version"))
        connection.execute(sa.text("INSERT INTO customers (id, name, email, tier, created_at) "
                                   "VALUES (7, 'Old', 'old@example.com', 'standard', '2026-01-01')"))  # fmt: skip
    upgrade(engine)
    assert current(engine) == head()
    with engine.connect() as connection:
        assert differences(connection) == []
        assert connection.execute(sa.text("SELECT name FROM customers WHERE id = 7")).scalar() == "Old"


def test_a_database_made_by_create_all_is_stamped_at_the_head(engine: sa.engine.Engine) -> None:
    from assistant.store.models import Base

    Base.metadata.create_all(engine)
    upgrade(engine)
    assert current(engine) == head()


def test_there_is_one_head_and_every_migration_is_named_by_number() -> None:
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    names = sorted(p.name for p in versions.glob("*.py"))
    assert names and all(name[:4].isdigit() for name in names), names
    assert head() == names[-1][:4]


def test_a_database_made_without_migrations_that_also_holds_rasas_events_is_adopted(tmp_path) -> None:
    """In PostgreSQL the tracker store's ``events`` table shares the database: it is not the
    store's, and must not make an up-to-date schema look old (and be migrated again)."""
    import sqlalchemy as sa

    from assistant.settings import Settings
    from assistant.store import build_store

    settings = Settings(var_dir=tmp_path)
    store = build_store(settings)
    with store.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
    store.drop_schema()
    store.create_schema()
    store.engine.dispose()
    again = build_store(settings)
    with again.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() is not None
    again.engine.dispose()
