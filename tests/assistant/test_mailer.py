"""The outbox over real SMTP servers on loopback (aiosmtpd): TLS before credentials, one send
per e-mail whatever the number of workers, one-time secrets erased once sent, and delivery off
the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import socket
import ssl
import threading
import time
from email import message_from_bytes
from pathlib import Path
from typing import Iterator, List

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from actions import services
from actions.links import PASSWORD_RESET, email_link
from assistant.mailer import deliver_outbox
from assistant.store import Store
from tests.integration.conftest import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: List = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def self_signed(directory: Path) -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


def accept_support_login(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"support"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple]:
    """An SMTP server that offers STARTTLS and accepts a login only over TLS."""
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="localhost", port=port, tls_context=context,
                            require_starttls=True, authenticator=accept_support_login,
                            auth_require_tls=True)  # fmt: skip
    controller.start()
    yield handler, port, str(cert)
    controller.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple]:
    """A relay without TLS (as on loopback)."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_credentials_are_sent_only_after_starttls(store: Store, tls_server: tuple) -> None:
    handler, port, ca = tls_server
    store.queue_email("jane.doe@example.com", "Hello", "Body")
    url = f"smtp://support:s3cret@localhost:{port}"
    assert deliver_outbox(store, url, "support@northwind.example", ca_file=ca) == 1
    [mail] = handler.messages
    assert mail["To"] == "jane.doe@example.com"


def test_a_server_without_starttls_never_gets_the_password(store: Store, plain_server: tuple) -> None:
    handler, port = plain_server
    store.queue_email("jane.doe@example.com", "Hello", "Body")
    assert deliver_outbox(store, f"smtp://support:s3cret@127.0.0.1:{port}", "support@x.example") == 0
    [mail] = store.outbox()
    assert mail.sent_at is None and "STARTTLS" in mail.last_error and handler.messages == []


def test_an_untrusted_certificate_is_refused(store: Store, tls_server: tuple) -> None:
    handler, port, _ = tls_server
    store.queue_email("jane.doe@example.com", "Hello", "Body")
    assert deliver_outbox(store, f"smtp://support:s3cret@localhost:{port}", "support@x.example") == 0
    assert handler.messages == [] and "CERTIFICATE" in store.outbox()[0].last_error.upper()


def test_two_workers_never_send_the_same_email_twice(store: Store, plain_server: tuple) -> None:
    handler, port = plain_server
    for index in range(30):
        store.queue_email(f"customer{index}@example.com", f"Mail {index}", "Body")
    url, sent = f"smtp://127.0.0.1:{port}", []
    workers = [
        threading.Thread(target=lambda: sent.append(deliver_outbox(store, url, "s@x.example")))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    subjects = sorted(m["Subject"] for m in handler.messages)
    assert subjects == sorted(f"Mail {i}" for i in range(30)) and sum(sent) == 30
    assert all(m.sent_at is not None for m in store.outbox())


def test_a_one_time_secret_is_in_the_email_but_erased_from_the_outbox_once_sent(
    store: Store, plain_server: tuple
) -> None:
    handler, port = plain_server
    store.queue_email(
        "jane.doe@example.com",
        "Your code",
        "Your code is {secret}.",
        kind="verification_code",
        secret="424242",
    )
    deliver_outbox(store, f"smtp://127.0.0.1:{port}", "s@x.example")
    assert "Your code is 424242." in handler.messages[0].get_payload()
    [row] = store.outbox()
    assert row.secret is None and "424242" not in row.body


def test_a_permanently_refused_recipient_is_recorded_as_failed(store: Store) -> None:
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            return "550 5.1.1 No such mailbox"

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        store.queue_email("gone@example.com", "Hello", "Body")
        assert deliver_outbox(store, f"smtp://127.0.0.1:{port}", "s@x.example") == 0
    finally:
        controller.stop()
    [row] = store.outbox()
    assert row.failed_at is not None and "550" in row.last_error
    assert store.claim_next_email() is None, "a failed e-mail is not tried again"


def test_sending_never_blocks_the_event_loop(store: Store) -> None:
    """An SMTP server that accepts connections and never answers: the action returns at once
    and the event loop keeps running while the mailer waits on its own thread."""
    stalled = socket.socket()
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(5)
    url = f"smtp://127.0.0.1:{stalled.getsockname()[1]}"
    services.use_settings(dataclasses.replace(services.get_settings(), smtp_url=url))

    async def scenario() -> tuple:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.monotonic()
        email_link(1, PASSWORD_RESET)
        returned_after = time.monotonic() - started
        await asyncio.sleep(0.5)
        task.cancel()
        return returned_after, ticks

    try:
        returned_after, ticks = asyncio.run(scenario())
    finally:
        stalled.close()
    assert returned_after < 0.5 and ticks >= 20
    assert len(store.outbox()) == 1
