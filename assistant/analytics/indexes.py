"""The indexes the analytics need on Rasa's ``events`` table: the events sent in a period, with
what the queries read (kind, conversation, intent, action) inside the index, so PostgreSQL
answers from the index alone; and a conversation's events by kind and time (first responses). Rasa creates the table (with an index on ``sender_id`` only) when
its server first starts; migration 0004 adds this index when the table is already there, and

    python -m assistant.analytics.indexes

adds it later (``CREATE INDEX CONCURRENTLY`` on PostgreSQL: Rasa keeps writing meanwhile).
"""

from __future__ import annotations

import sys
from typing import Any, List

import sqlalchemy as sa

from assistant.settings import get_settings
from assistant.store.repository import create_db_engine

EVENTS_INDEX = "ix_events_analytics"
SENDER_INDEX = "ix_events_analytics_sender"  # a conversation's first message of a kind
COLUMNS = frozenset({"timestamp", "type_name", "sender_id", "intent_name", "action_name"})


def create_index_sql(dialect: str, concurrently: bool = False) -> List[str]:
    how = "CONCURRENTLY " if concurrently and dialect == "postgresql" else ""
    by_sender = f"CREATE INDEX {how}IF NOT EXISTS {SENDER_INDEX} ON events (sender_id, type_name, timestamp)"
    if dialect == "postgresql":
        by_time = (
            f"CREATE INDEX {how}IF NOT EXISTS {EVENTS_INDEX} ON events (timestamp) "
            "INCLUDE (type_name, sender_id, intent_name, action_name)"
        )
    else:
        by_time = f"CREATE INDEX IF NOT EXISTS {EVENTS_INDEX} ON events (timestamp, type_name, sender_id, intent_name, action_name)"
    return [by_time, by_sender]


def drop_index_sql() -> List[str]:
    return [f"DROP INDEX IF EXISTS {EVENTS_INDEX}", f"DROP INDEX IF EXISTS {SENDER_INDEX}"]


def has_rasa_events(bind: Any) -> bool:
    """Whether Rasa's events table is there (with the columns the index covers)."""
    inspector = sa.inspect(bind)
    return inspector.has_table("events") and COLUMNS.issubset(
        c["name"] for c in inspector.get_columns("events")
    )


def ensure_event_index(engine: sa.engine.Engine) -> bool:
    """Creates the index when the events table exists; whether it exists now."""
    if not has_rasa_events(engine):
        return False
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in create_index_sql("postgresql", concurrently=True):
                connection.execute(sa.text(statement))
    else:
        with engine.begin() as connection:
            for statement in create_index_sql(engine.dialect.name):
                connection.execute(sa.text(statement))
    return True


def main() -> int:
    engine = create_db_engine(get_settings().tracker_store_url)
    try:
        if ensure_event_index(engine):
            print(f"{EVENTS_INDEX} and {SENDER_INDEX} are on the events table.")
            return 0
        print("There is no events table yet (start the Rasa server once).", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
