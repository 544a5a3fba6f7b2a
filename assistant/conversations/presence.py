"""Which agents are signed in: staff accounts (admins and agents) that made a request to the
admin API within ``AGENT_PRESENCE_MINUTES`` and did not sign out since."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from assistant.store import Store
from assistant.store.account_models import Account

STAFF_ROLES = ("admin", "agent")


def agents_online(store: Store, now: datetime, minutes: int) -> int:
    since = now - timedelta(minutes=minutes)
    query = sa.select(sa.func.count(Account.id)).where(
        Account.role.in_(STAFF_ROLES),
        Account.status == "active",
        Account.last_seen_at >= since,
        sa.or_(Account.signed_out_at.is_(None), Account.signed_out_at < Account.last_seen_at),
    )
    with store.session() as s:
        return int(s.scalar(query) or 0)
