"""E-mail channel throughput: ``--emails`` customer e-mails (1,000 by default) waiting in the
support mailbox, the listener started, and the time until every one is answered.

Starts, on loopback: Debian's dovecot with its own configuration in a temporary directory (as
the tests do, tests/channels/email/dovecot.py), an SMTP server (aiosmtpd) that receives the
replies, a temporary PostgreSQL database on 127.0.0.1:5432 with Redis on 6379 for locks, our
action server and a Rasa server with the e-mail channel (listener not started with it). Then:

1. the e-mails are APPENDed to the mailbox (each from its own address, a mix of FAQ questions,
   greetings and order questions);
2. ``POST /api/channels/email/listener/start``; the clock runs until the SMTP server has a reply
   for every address;
3. checks: replies per address (exactly one expected), messages left unseen.

Usage (project root)::

    .venv/bin/python benchmarks/email_throughput.py                 # 1,000 e-mails
    .venv/bin/python benchmarks/email_throughput.py --emails 100    # quick

Writes benchmarks/out/email_throughput.json (override with --out).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import requests
from _channel_stack import database, servers
from _common import PROJECT_ROOT, environment_info, latency_summary, print_table, write_json

sys.path.insert(0, str(PROJECT_ROOT))
from aiosmtpd.controller import Controller  # noqa: E402

from channels.auth import issue_token  # noqa: E402
from tests.channels.email.conftest import SmtpInbox  # noqa: E402
from tests.channels.email.dovecot import Dovecot  # noqa: E402
from tests.channels.email.mail import customer_mail  # noqa: E402
from tests.integration.conftest import free_port  # noqa: E402

MAILBOX, PASSWORD = "bench@northwind.example", "pw-bench"
JWT_SECRET = f"bench-{uuid.uuid4().hex}{uuid.uuid4().hex}"
TEXTS = ["hi", "where is my order", "what are your opening hours?", "do you ship internationally?",
         "how do I return an item?", "thanks"]  # fmt: skip


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--rasa-port", type=int, default=5027)
    parser.add_argument("--actions-port", type=int, default=5077)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for every reply")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def channel_env(imap_port: int, smtp_port: int, db_env: Dict[str, str]) -> Dict[str, str]:
    return dict(EMAIL_IMAP_HOST="127.0.0.1", EMAIL_IMAP_PORT=str(imap_port), EMAIL_IMAP_USER=MAILBOX,
                EMAIL_IMAP_PASSWORD=PASSWORD, EMAIL_IMAP_TLS="none", EMAIL_ADDRESS=MAILBOX,
                EMAIL_AUTOSTART="false", EMAIL_SWEEP_SECONDS="1", MAIL_FROM=f"Northwind Support <{MAILBOX}>",
                SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", WEBCHAT_JWT_SECRET=JWT_SECRET, **db_env)  # fmt: skip


def fill(dovecot: Dovecot, count: int, rng: random.Random) -> List[str]:
    senders = [f"b{n:05d}-{uuid.uuid4().hex[:6]}@customer.example" for n in range(count)]
    client = dovecot.client(MAILBOX)
    try:
        for sender in senders:
            client.append("INBOX", customer_mail(sender, "Question", rng.choice(TEXTS), to=MAILBOX))
    finally:
        client.logout()
    return senders


def run(args: argparse.Namespace, url: str, dovecot: Dovecot, received: SmtpInbox) -> Dict[str, Any]:
    senders = fill(dovecot, args.emails, random.Random(args.seed))
    token = issue_token(JWT_SECRET, "bench-admin", "admin")
    started = time.monotonic()
    answer = requests.post(f"{url}/api/channels/email/listener/start", headers={"Authorization": f"Bearer {token}"},
                           timeout=30)  # fmt: skip
    answer.raise_for_status()
    first_reply: Dict[str, float] = {}
    deadline = started + args.timeout
    while len(first_reply) < len(senders) and time.monotonic() < deadline:
        with received.lock:
            for message in received.messages[len(first_reply) :]:
                first_reply.setdefault(str(message["To"]).lower(), time.monotonic() - started)
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    time.sleep(5)
    counts = {s: 0 for s in senders}
    with received.lock:
        for message in received.messages:
            to = str(message["To"]).lower()
            if to in counts:
                counts[to] += 1
    return {
        "emails": len(senders), "seconds_until_all_answered": elapsed,
        "answered_per_second": len(first_reply) / elapsed if elapsed else 0.0,
        "time_to_reply": latency_summary(list(first_reply.values())),
        "unanswered": sum(1 for c in counts.values() if c == 0), "answered_twice": sum(1 for c in counts.values() if c > 1),
        "left_unseen": len(dovecot.unseen(MAILBOX)),
    }  # fmt: skip


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-email-"))
    root.chmod(0o755)
    dovecot = Dovecot(root / "dovecot", {MAILBOX: PASSWORD})
    (root / "dovecot").mkdir()
    dovecot.start()
    received, smtp_port = SmtpInbox(), free_port()
    controller = Controller(received, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    print(f"server logs: {root}")
    try:
        with (
            database("bench_email") as db_env,
            servers(
                args.rasa_port, args.actions_port, root, channel_env(dovecot.port, smtp_port, db_env)
            ) as url,
        ):
            result = run(args, url, dovecot, received)
    finally:
        controller.stop()
        dovecot.stop()
    print_table("E-mail throughput", ["", "value"], [[key, value] for key, value in result.items()
                                                     if key != "time_to_reply"])  # fmt: skip
    result["settings"] = {k: str(v) for k, v in vars(args).items()}
    result["environment"] = environment_info()
    print(f"\nwrote {write_json(result, args.out, 'email_throughput.json')}")
    shutil.rmtree(root / "dovecot", ignore_errors=True)


if __name__ == "__main__":
    main()
