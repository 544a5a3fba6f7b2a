"""The e-mail channel on a real Rasa server (with the session's PostgreSQL, Redis and action
server, tests/integration), reading a real dovecot over IMAP and answering to a real SMTP
server (aiosmtpd) on loopback. Each server gets its own mailbox (dovecot user)."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Dict, Iterator, List

import pytest
from aiosmtpd.controller import Controller

from tests.channels.chat import SECRET
from tests.channels.email.dovecot import Dovecot
from tests.integration.conftest import Server, Stack, free_port, wait_until_up

USERS = {f"{name}@northwind.example": f"pw-{name}" for name in ("support", "crash", "idle", "bench", "trust")}


class SmtpInbox:
    """What the assistant sent, as parsed messages."""

    def __init__(self) -> None:
        self.messages: List[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> List[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"]).lower()]

    def wait(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError("timed out waiting for e-mail")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """Dovecot in a directory of its own that its unprivileged users can reach (pytest's
    temporary directories are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="northwind-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, USERS).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple]:
    received, port = SmtpInbox(), free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


def email_env(dovecot: Dovecot, smtp_port: int, user: str, **extra: str) -> Dict[str, str]:
    return {
        "EMAIL_IMAP_HOST": "127.0.0.1", "EMAIL_IMAP_PORT": str(dovecot.port), "EMAIL_IMAP_USER": user,
        "EMAIL_IMAP_PASSWORD": USERS[user], "EMAIL_IMAP_TLS": "none", "EMAIL_ADDRESS": user,
        "MAIL_FROM": f"Northwind Support <{user}>", "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_POLL_SECONDS": "1", "EMAIL_SWEEP_SECONDS": "0.5", "EMAIL_LEASE_SECONDS": "20",
        "EMAIL_TURN_RETRY_SECONDS": "0.5", "WEBCHAT_JWT_SECRET": SECRET, **extra,
    }  # fmt: skip


def start_email_server(stack: Stack, env: Dict[str, str]) -> Server:
    server = stack.spawn_rasa(env)
    wait_until_up(f"{server.url}/status", server.process, server.log, timeout=480)
    return server


@pytest.fixture(scope="package")
def email_server(stack: Stack, dovecot: Dovecot, smtp: tuple) -> Iterator[Server]:
    """A Rasa server whose listener watches support@northwind.example; stopped after the e-mail
    tests, since its outbox delivery would send (and clear) the codes other tests read."""
    server = start_email_server(stack, email_env(dovecot, smtp[1], "support@northwind.example"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("email-logs")
