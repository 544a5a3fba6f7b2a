"""analytics: indexes on Rasa's events table for the analytics' scans

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 10:45:00

Rasa's ``events`` table is not the store's: the indexes are created only when the table is already
in this database (PostgreSQL, where the tracker store shares it). Otherwise
``python -m assistant.analytics.indexes`` adds them once Rasa has created the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assistant.analytics.indexes import create_index_sql, drop_index_sql, has_rasa_events

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if has_rasa_events(bind):
        for statement in create_index_sql(bind.dialect.name):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("events"):
        for statement in drop_index_sql():
            op.execute(statement)
