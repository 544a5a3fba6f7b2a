"""Command line of the store's schema migrations (assistant/store/schema.py)::

python -m assistant.store.migrate upgrade              # DATABASE_URL's database to the newest
python -m assistant.store.migrate check                # exit 1 when it differs from the models
python -m assistant.store.migrate revision -m "..."    # write a migration for changed models
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from assistant.settings import get_settings
from assistant.store.repository import create_db_engine
from assistant.store.schema import current, differences, new_revision, upgrade


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="The store's schema migrations (Alembic).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="bring DATABASE_URL's database to the newest revision")
    sub.add_parser("check", help="fail when DATABASE_URL's database differs from the models")
    revision = sub.add_parser("revision", help="write a migration from the head to the models")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.command == "revision":
        new_revision(args.message)
        return 0
    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    upgrade(engine)
    if args.command == "check":
        with engine.connect() as connection:
            found = differences(connection)
        for difference in found:
            print(f"differs: {difference}", file=sys.stderr)
        return 1 if found else 0
    print(f"Database schema at revision {current(engine)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
