"""The channel's parts without a Rasa server: MIME parsing, loop safety, threading, the durable
inbox's deduplication, and replies through the outbox and the mailer to a real SMTP server."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from assistant.conversations import registry
from assistant.mailer import deliver_outbox
from assistant.store import Store
from assistant.store.email_models import EmailBounce
from assistant.store.models import OutboundEmail
from channels.email import inbox
from channels.email.parse import parse
from channels.email.replies import Earlier, compose, texts_of
from channels.email.safety import judge
from channels.email.threading import normalise_subject
from tests.assistant.test_mailer import Inbox
from tests.channels.email.mail import SUPPORT, bounce, customer_mail, new_id
from tests.integration.conftest import free_port

OWN = [SUPPORT]


def test_plain_text_is_preferred_and_quotes_and_signature_are_stripped() -> None:
    body = ("Where is my order 10001?\n\nThanks,\nJane\n-- \nJane Doe\nACME Corp\n\n"
            "On Mon, 23 Nov 2026, Northwind Support wrote:\n> Hello Jane\n")  # fmt: skip
    mail = parse(customer_mail("Jane Doe <Jane.Doe@Example.com>", "Order", body, html="<p>HTML version</p>"))
    assert mail.text == "Where is my order 10001?\n\nThanks,\nJane"
    assert mail.from_address == "jane.doe@example.com" and mail.from_name == "Jane Doe"


def test_html_only_mail_becomes_text_without_its_blockquote() -> None:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "a@customer.example", "Hi", "<h1@x>"
    message.set_content("<html><head><style>p{}</style></head><body><p>Track order <b>10002</b></p>"
                        "<blockquote>old message</blockquote><script>x()</script></body></html>", subtype="html")  # fmt: skip
    assert parse(message.as_bytes()).text == "Track order\n10002"


def test_charsets_are_decoded_and_attachments_recorded() -> None:
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "b@customer.example", "Größe", "<c1@x>"
    message.set_content("Die Größe passt nicht, bitte Rücksendung.", charset="iso-8859-1")
    message.add_attachment(b"%PDF-1.4 " * 100, maintype="application", subtype="pdf", filename="rechnung.pdf")
    mail = parse(message.as_bytes())
    assert mail.text == "Die Größe passt nicht, bitte Rücksendung." and mail.subject == "Größe"
    [attachment] = mail.attachments
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "rechnung.pdf",
        "application/pdf",
        900,
    )


def test_a_mail_without_message_id_gets_a_stable_one() -> None:
    raw = b"From: c@customer.example\r\nSubject: x\r\n\r\nhello\r\n"
    assert parse(raw).message_id == parse(raw).message_id != parse(raw + b"!").message_id


@pytest.mark.parametrize("headers, reason", [
    ({"Auto-Submitted": "auto-replied"}, "auto_submitted"), ({"Auto-Submitted": "auto-generated"}, "auto_submitted"),
    ({"Precedence": "bulk"}, "precedence"), ({"Precedence": "list"}, "precedence"), ({"Precedence": "junk"}, "precedence"),
    ({"List-Id": "<news.shop.example>"}, "list_mail"), ({"X-Autoreply": "yes"}, "auto_submitted"),
])  # fmt: skip
def test_automatic_mail_is_never_answered(headers: dict, reason: str) -> None:
    verdict = judge(parse(customer_mail("d@customer.example", "Out of office", "Away", headers=headers)), OWN)
    assert (verdict.answer, verdict.reason) == (False, reason)


def test_people_are_answered_but_not_our_own_address_nor_mailer_daemons() -> None:
    assert judge(
        parse(customer_mail("e@customer.example", "Hi", "x", headers={"Auto-Submitted": "no"})), OWN
    ).answer
    assert judge(parse(customer_mail(SUPPORT, "Re: Hi", "x")), OWN).reason == "own_address"
    daemon = judge(parse(customer_mail("MAILER-DAEMON@mx.example", "Failure", "x")), OWN)
    assert (daemon.answer, daemon.reason) == (False, "bounce")


def test_a_bounce_names_the_message_that_bounced() -> None:
    verdict = judge(parse(bounce("ours-1@northwind.example", "gone@customer.example")), OWN)
    assert verdict.reason == "bounce" and verdict.bounce is not None
    assert verdict.bounce["original_message_id"] == "ours-1@northwind.example"
    assert verdict.bounce["recipient"] == "gone@customer.example" and verdict.bounce["status"] == "5.1.1"


def test_subjects_are_normalised() -> None:
    assert normalise_subject("Re: RE: Fwd: [Ticket #4] Order   10001") == "order 10001"
    assert normalise_subject("AW: Sv: order 10001") == normalise_subject("order 10001")


def test_a_message_id_is_stored_once_and_threads_follow_replies_and_subjects(store: Store) -> None:
    first = parse(customer_mail("f@customer.example", "Broken kettle", "It leaks", message_id=new_id()))
    stored = inbox.record(store, first, OWN)
    again = inbox.record(store, first, OWN)
    assert stored.new and not again.new and again.id == stored.id and stored.status == inbox.RECEIVED
    by_reply = parse(customer_mail("f@customer.example", "Re: x", "more", in_reply_to=first.message_id))
    by_references = parse(
        customer_mail("f@customer.example", "other", "more", references=["zz@x", first.message_id])
    )
    by_subject = parse(customer_mail("f@customer.example", "RE: Broken kettle", "still"))
    stranger = parse(
        customer_mail("g@customer.example", "Re: Broken kettle", "me too", in_reply_to=first.message_id)
    )
    ids = {inbox.record(store, m, OWN).conversation_id for m in (by_reply, by_references, by_subject)}
    assert ids == {stored.conversation_id}
    assert inbox.record(store, stranger, OWN).conversation_id != stored.conversation_id


def test_a_bounce_is_recorded_against_our_reply(store: Store) -> None:
    customer = parse(customer_mail("h@customer.example", "Hello", "hi"))
    stored = inbox.record(store, customer, OWN)
    reply = compose(stored.conversation_id or "", "h@customer.example", "Hello", customer.message_id, [],
                    ["Hi there"], [], "northwind.example")  # fmt: skip
    inbox.queue_new(store, reply)
    recorded = inbox.record(store, parse(bounce(reply.message_id, "h@customer.example")), OWN)
    assert recorded.status == inbox.BOUNCE
    with store.session() as s:
        [row] = s.query(EmailBounce).filter(EmailBounce.original_message_id == reply.message_id).all()
        assert row.conversation_id == stored.conversation_id and row.status == "5.1.1"
    [shown] = registry.undelivered(store, stored.conversation_id or "")  # the admin API's detail
    assert shown.text == "Hi there" and shown.error["code"] == "bounced" and "5.1.1" in shown.error["title"]


def test_a_reply_goes_out_multipart_threaded_and_marked_automatic(sqlite_store: Store) -> None:
    received, port = Inbox(), free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        earlier = [Earlier("i@customer.example", "Where is order 10001?", None)]
        paragraphs = texts_of(
            [{"text": "It has shipped.", "buttons": [{"title": "Track it", "payload": "/t"}]}]
        )
        reply = compose("email:" + "0" * 32, "i@customer.example", "Order 10001", "cust-1@customer.example",
                        ["root@customer.example"], paragraphs, earlier, "northwind.example")  # fmt: skip
        inbox.queue_new(sqlite_store, reply)
        assert deliver_outbox(sqlite_store, f"smtp://127.0.0.1:{port}", f"Northwind Support <{SUPPORT}>") == 1
    finally:
        controller.stop()
    [sent] = received.messages
    sent = message_from_bytes(sent.as_bytes(), policy=policy.default)
    assert sent["Subject"] == "Re: Order 10001" and sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<cust-1@customer.example>"
    assert sent["References"] == "<root@customer.example> <cust-1@customer.example>"
    assert sent["Message-ID"] == f"<{reply.message_id}>"
    assert sent.get_content_type() == "multipart/alternative"
    plain = sent.get_body(("plain",)).get_content()
    assert "It has shipped." in plain and "  - Track it" in plain and "> Where is order 10001?" in plain
    assert "<blockquote>Where is order 10001?</blockquote>" in sent.get_body(("html",)).get_content()


def test_a_refused_reply_is_failed_for_good_and_a_transient_failure_is_retried(sqlite_store: Store) -> None:
    class Refusing:
        def __init__(self, code: str) -> None:
            self.code = code

        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            return self.code

    reply = compose("email:" + "1" * 32, "j@customer.example", "Hi", None, [], ["x"], [], "northwind.example")
    outbound_id = inbox.queue_new(sqlite_store, reply)
    for code, failed in (("451 4.3.0 try later", False), ("550 5.1.1 no such user", True)):
        port = free_port()
        controller = Controller(Refusing(code), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            deliver_outbox(sqlite_store, f"smtp://127.0.0.1:{port}", SUPPORT)
        finally:
            controller.stop()
        mail = inbox.outbound_state(sqlite_store, outbound_id)
        assert (mail.failed_at is not None) is failed and mail.sent_at is None and code[:3] in mail.last_error
        assert mail.attempts == (1 if not failed else 2), "a refusal for now is not retried in a tight loop"
        shown = registry.undelivered(sqlite_store, "email:" + "1" * 32)  # the admin API's detail
        assert [m.error["code"] for m in shown] == (["smtp_refused"] if failed else [])
        with sqlite_store.session() as s:  # the hold passes (60 s in production)
            s.execute(sa.update(OutboundEmail).values(claimed_until=None))


def test_settings_come_from_the_environment_and_credentials_yml_holds_none() -> None:
    from assistant.settings import ConfigError, Settings
    from channels.email.channel import EmailInput
    from channels.errors import ConfigurationError

    email = Settings.from_env({"EMAIL_IMAP_HOST": "imap.example.com", "EMAIL_IMAP_USER": "u",
                               "EMAIL_IMAP_PASSWORD": "s3cr3t-imap", "EMAIL_IMAP_TLS": "starttls"}).email  # fmt: skip
    assert email.configured and email.imap_port == 143 and "s3cr3t-imap" not in repr(email)
    assert not Settings.from_env({}).email.configured and Settings.from_env({}).email.imap_port == 993
    for bad in ({"EMAIL_IMAP_TLS": "ssl"}, {"EMAIL_POLL_SECONDS": "0"}, {"EMAIL_BATCH_SIZE": "x"}):
        with pytest.raises(ConfigError):
            Settings.from_env(bad)
    assert EmailInput.from_credentials(None).name() == "email"
    with pytest.raises(ConfigurationError, match="email: .* set the EMAIL_\\* environment variables"):
        EmailInput.from_credentials({"password": "secret"})
