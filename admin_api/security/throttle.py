"""Login throttling: failed sign-ins are stored (so the limit holds across processes and
restarts) and counted per account and per client address within ``LOGIN_WINDOW_MINUTES``;
past ``LOGIN_FAILURES_PER_ACCOUNT`` or ``LOGIN_FAILURES_PER_IP`` the answer is 429 with
``Retry-After`` (seconds until the oldest failure in the window expires)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from admin_api.errors import TooManyRequests
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.account_models import LoginFailure
from assistant.store.models import utcnow


def check(store: Store, settings: Settings, email: str, ip: str) -> None:
    now = utcnow()
    window = timedelta(minutes=settings.login_window_minutes)
    for scope, limit in ((f"account:{email}", settings.login_failures_per_account),
                         (f"ip:{ip}", settings.login_failures_per_ip)):  # fmt: skip
        wait = _wait(store, scope, limit, now, window)
        if wait is not None:
            raise TooManyRequests("Too many failed sign-ins; try again later", wait,
                                  {"limit": limit, "window": f"{settings.login_window_minutes} minutes"})  # fmt: skip


def record_failure(store: Store, email: str, ip: str) -> None:
    with store.session() as s:
        s.add_all([LoginFailure(scope=f"account:{email}"[:300]), LoginFailure(scope=f"ip:{ip}"[:300])])


def clear_account(store: Store, email: str) -> None:
    with store.session() as s:
        s.execute(sa.delete(LoginFailure).where(LoginFailure.scope == f"account:{email}"[:300]))


def _wait(store: Store, scope: str, limit: int, now: datetime, window: timedelta) -> Optional[int]:
    with store.session() as s:
        query = sa.select(LoginFailure.created_at).where(
            LoginFailure.scope == scope[:300], LoginFailure.created_at > now - window
        )
        times = sorted(s.scalars(query))
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[-limit] + window - now).total_seconds()))
