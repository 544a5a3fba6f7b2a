"""``python -m admin_api.first_admin``: the demo's first admin. On the first run it creates
``ADMIN_EMAIL`` with a generated password, kept in ``var/admin-credentials`` (mode 600, never
in the code); later runs print the same. scripts/run.sh calls it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Tuple

import sqlalchemy as sa

from admin_api.accounts.admin import create_user
from admin_api.security.passwords import generate_password
from assistant.settings import Settings, get_settings
from assistant.store import build_store
from assistant.store.account_models import Account

FILE_NAME = "admin-credentials"


def ensure_first_admin(settings: Settings) -> Tuple[str, Optional[str]]:
    """The first admin's e-mail and, when this setup created it, its password."""
    store = build_store(settings)
    path = settings.var_dir / FILE_NAME
    try:
        with store.session() as s:
            admin = s.scalars(
                sa.select(Account).where(Account.role == "admin").order_by(Account.created_at)
            ).first()
        if admin is not None:
            return admin.email, _kept(path, admin.email)
        password = generate_password()
        create_user(store, settings.admin_email, "Demo Admin", "admin", password, "created by make run")
        _keep(path, settings.admin_email, password)
        return settings.admin_email, password
    finally:
        store.engine.dispose()


def _keep(path: Path, email: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{email}\n{password}\n")


def _kept(path: Path, email: str) -> Optional[str]:
    if not path.exists():
        return None
    lines = path.read_text().splitlines()
    return lines[1] if len(lines) >= 2 and lines[0] == email else None


def main() -> int:
    email, password = ensure_first_admin(get_settings())
    shown = password or "(not kept here: it was set elsewhere)"
    print(f"{email} / {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
