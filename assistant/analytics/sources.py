"""Where the analytics read: the store's database, and Rasa's ``events`` table joined to it.
On PostgreSQL the tracker store is the same database; on SQLite it is a file of its own
(``var/tracker.db``), attached to each connection as the schema ``tracker`` so that one SQL
statement can join both."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import make_url

from assistant.conversations.tracker_events import EVENTS
from assistant.store.repository import create_db_engine

TRACKER_SCHEMA = "tracker"


class Sources:
    """An engine on the store's database that also sees the tracker store's events."""

    def __init__(self, database_url: str, tracker_url: str) -> None:
        self.sqlite = database_url.startswith("sqlite")
        if not self.sqlite and tracker_url != database_url:
            raise ValueError("analytics need the tracker store in the business database (PostgreSQL)")
        self.engine = create_db_engine(database_url)
        self._events: Optional[sa.Table] = None
        self._schema: Optional[str] = None
        if self.sqlite and tracker_url != database_url:
            self._attach(make_url(tracker_url).database or "")
        if not self.sqlite:
            sa.event.listen(self.engine, "connect", _no_jit)

    def _attach(self, path: str) -> None:
        def attach(connection: Any, _record: Any) -> None:
            connection.execute(f"ATTACH DATABASE '{path.replace(chr(39), chr(39) * 2)}' AS {TRACKER_SCHEMA}")

        sa.event.listen(self.engine, "connect", attach)
        self._schema = TRACKER_SCHEMA

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    def events(self, db: Connection) -> Optional[sa.Table]:
        """Rasa's events table, or None while Rasa has not created it."""
        if self._events is None:
            schema = self._schema
            if sa.inspect(db).has_table("events", schema=schema):
                self._events = EVENTS.to_metadata(sa.MetaData(), schema=schema) if schema else EVENTS
        return self._events

    def close(self) -> None:
        self.engine.dispose()


def _no_jit(connection: Any, _record: Any) -> None:
    """PostgreSQL's JIT compiles the bigger analytics plans (a long range) for longer than
    they then run: these connections do without it."""
    cursor = connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    connection.commit()
