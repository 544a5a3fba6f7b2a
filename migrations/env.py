"""Alembic environment: the one schema history of the store (assistant/store/schema.py).

The database is the connection handed in by ``assistant.store.schema`` (servers, setup, tests)
or, on Alembic's command line, ``DATABASE_URL`` read by assistant/settings.py. The target is
every table of the store's metadata (``assistant.store.models.Base``), so
``alembic revision --autogenerate`` writes the difference between the models and the history.
"""

from __future__ import annotations

from alembic import context

from assistant.store.models import Base
from assistant.store.repository import create_db_engine
from assistant.store.schema import only_store_tables

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        include_name=only_store_tables,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from assistant.settings import get_settings

    engine = create_db_engine(get_settings().database_url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them against a database.")
run_migrations_online()
