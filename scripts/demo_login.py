"""Prints a web-chat token for a demo customer, as the admin API will issue on sign-in: the
JWT's subject is the customer's web login, linked to them in the store (assistant.identity)."""

from __future__ import annotations

import argparse
import os
import sys

from assistant.store.seed import DEMO_WEB_LOGINS
from channels.auth import issue_token


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customer", type=int, default=1, choices=sorted(DEMO_WEB_LOGINS))
    parser.add_argument("--hours", type=int, default=8)
    args = parser.parse_args()
    secret = os.environ.get("WEBCHAT_JWT_SECRET")
    if not secret:
        print("WEBCHAT_JWT_SECRET is not set", file=sys.stderr)
        return 1
    print(issue_token(secret, DEMO_WEB_LOGINS[args.customer], "customer", ttl=args.hours * 3600))
    return 0


if __name__ == "__main__":
    sys.exit(main())
