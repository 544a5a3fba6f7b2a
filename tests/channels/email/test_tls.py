"""The listener's connection to a real dovecot with a certificate: STARTTLS and TLS from the
start, the certificate checked against the configured CA; no TLS is refused off loopback."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from assistant.settings import ConfigError, EmailSettings
from channels.email.listener import connect
from tests.assistant.test_mailer import self_signed
from tests.channels.email.dovecot import Dovecot

USER, PASSWORD = "tls@northwind.example", "pw-tls"


@pytest.fixture(scope="module")
def secure_dovecot() -> Iterator[tuple]:
    root = Path(tempfile.mkdtemp(prefix="northwind-dovecot-tls-"))
    root.chmod(0o755)
    cert = self_signed(root)
    server = Dovecot(root, {USER: PASSWORD}, cert=cert).start()
    yield server, cert[0]
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_the_listener_connects_with_tls(secure_dovecot: tuple, mode: str) -> None:
    server, ca_file = secure_dovecot
    port = server.port if mode == "starttls" else server.tls_port
    settings = EmailSettings(imap_host="localhost", imap_port=port, imap_user=USER, imap_password=PASSWORD,
                             imap_tls=mode, imap_ca_file=str(ca_file))  # fmt: skip
    client = connect(settings)
    try:
        assert b"IDLE" in client.capabilities() and client.folder_status("INBOX")[b"MESSAGES"] == 0
    finally:
        client.logout()


def test_a_certificate_from_an_unknown_ca_is_refused(secure_dovecot: tuple) -> None:
    server, _ = secure_dovecot
    settings = EmailSettings(imap_host="localhost", imap_port=server.tls_port, imap_user=USER,
                             imap_password=PASSWORD, imap_tls="tls")  # fmt: skip
    with pytest.raises(OSError):
        connect(settings)


def test_no_tls_is_only_for_loopback() -> None:
    settings = EmailSettings(imap_host="imap.example.com", imap_port=143, imap_user=USER, imap_password="x",
                             imap_tls="none")  # fmt: skip
    with pytest.raises(ConfigError):
        connect(settings)
