"""Tables of the admin API's operations (issue 10): export jobs and the system settings the
assistant honours at run time (assistant/system_settings.py)."""

from __future__ import annotations

import sqlalchemy as sa

from assistant.store.models import Base, utcnow


class ExportJob(Base):
    """An export run in the background; its file is written under ``var_dir/exports``."""

    __tablename__ = "export_jobs"

    id = sa.Column(sa.String(32), primary_key=True)
    kind = sa.Column(sa.String(20), nullable=False)  # conversations, messages, users
    format = sa.Column(sa.String(10), nullable=False)  # csv, json, ndjson, xlsx
    params = sa.Column(sa.JSON, nullable=False, default=dict)  # date range, filters, columns
    status = sa.Column(sa.String(20), nullable=False, default="queued", index=True)
    row_count = sa.Column(sa.Integer)
    size_bytes = sa.Column(sa.BigInteger)
    file_name = sa.Column(sa.String(255))
    error = sa.Column(sa.String(500))
    created_by = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    started_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)


class SystemSetting(Base):
    """One system setting (``key``) and its JSON value, with who changed it last and when."""

    __tablename__ = "system_settings"

    key = sa.Column(sa.String(64), primary_key=True)
    value = sa.Column(sa.JSON, nullable=True)
    updated_by = sa.Column(sa.String(64))
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


__all__ = ["ExportJob", "SystemSetting"]
