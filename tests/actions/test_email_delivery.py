"""Reset and payment links go out over a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import dataclasses
import time
from email import message_from_bytes
from typing import Iterator, List

import pytest
from aiosmtpd.controller import Controller

from actions import services
from actions.account import ActionSendPasswordReset
from actions.billing import ActionSendPaymentLink
from assistant.mailer import deliver_outbox
from assistant.store import Store
from tests.actions.helpers import run_action
from tests.conftest import make_tracker
from tests.integration.conftest import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: List = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def wait_for_mail(handler: Inbox, count: int, timeout: float = 10) -> List:
    """Delivery runs on the mailer's worker thread: wait for it."""
    deadline = time.monotonic() + timeout
    while len(handler.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return handler.messages


@pytest.fixture
def inbox() -> Iterator[tuple]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def smtp_store(store: Store, inbox) -> Store:
    services.use_settings(dataclasses.replace(services.get_settings(), smtp_url=inbox[1]))
    return store


def test_a_password_reset_link_is_delivered_by_smtp_to_the_address_on_file(smtp_store: Store, inbox) -> None:
    run_action(ActionSendPasswordReset(), make_tracker(slots={"email": "jane.doe@example.com"}))
    [mail] = wait_for_mail(inbox[0], 1)
    assert mail["To"] == "jane.doe@example.com" and "reset" in mail["Subject"].lower()
    assert "https://account.northwind.example/reset?token=" in mail.get_payload()
    deadline = time.monotonic() + 10
    while any(row.sent_at is None for row in smtp_store.outbox()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(row.sent_at is not None for row in smtp_store.outbox())


def test_a_payment_link_is_delivered_and_unknown_addresses_get_nothing(smtp_store: Store, inbox) -> None:
    run_action(ActionSendPasswordReset(), make_tracker(slots={"email": "nobody@nowhere.example"}))
    assert inbox[0].messages == []
    run_action(ActionSendPaymentLink(), make_tracker(verified=2))
    [mail] = wait_for_mail(inbox[0], 1)
    assert mail["To"] == "omar.haddad@example.com" and "?token=" in mail.get_payload()


def test_when_smtp_is_down_the_email_stays_in_the_outbox_and_goes_out_later(store: Store, inbox) -> None:
    run_action(
        ActionSendPasswordReset(), make_tracker(slots={"email": "mei.chen@example.com"})
    )  # no SMTP yet
    assert deliver_outbox(store, f"smtp://127.0.0.1:{free_port()}", "support@x.example", timeout=2) == 0
    assert [m.sent_at for m in store.outbox()] == [None]
    assert deliver_outbox(store, inbox[1], "support@x.example") == 1
    assert inbox[0].messages[0]["To"] == "mei.chen@example.com"
