"""The durable inbox and the background worker in-process (SQLite and PostgreSQL): each message
id is stored and processed once, statuses only move forward, a refused call stores nothing, a
database that is away makes the webhook answer 503 (Meta delivers again), and a turn that keeps
failing is retried, then answered with an apology and marked failed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, AsyncIterator, List

import pytest
import sqlalchemy as sa

from assistant.retry import turn_deadline
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.models import WhatsAppMessage, WhatsAppStatus
from assistant.store.repository import create_db_engine
from channels.envelope import BadRequest, PayloadTooLarge, ServiceUnavailable
from channels.errors import AuthError, ForbiddenError
from channels.whatsapp import inbox, outbox, texts
from channels.whatsapp.inbound import read_notification
from channels.whatsapp.outgoing import text_drafts
from channels.whatsapp.runtime import Runtime
from channels.whatsapp.signature import sign
from channels.whatsapp.webhook import NotConfigured, store_signed
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.payloads import APP_SECRET, PHONE_NUMBER_ID, load, new_wa_id, new_wamid
from tests.channels.whatsapp.test_sending import wa_settings


def rows(store: Store, conversation_id: str) -> List[WhatsAppMessage]:
    with store.session() as s:
        query = sa.select(WhatsAppMessage).where(WhatsAppMessage.conversation_id == conversation_id)
        return list(s.scalars(query.order_by(WhatsAppMessage.id)))


@pytest.fixture
async def runtime(store: Store, graph: FakeGraph, tmp_path: Any) -> AsyncIterator[Runtime]:
    settings = Settings(var_dir=tmp_path, whatsapp=wa_settings(graph, app_secret=APP_SECRET, turn_attempts=2,
                                                                turn_retry_seconds=0.01))  # fmt: skip
    runtime = Runtime(settings, store)
    yield runtime
    await runtime.stop()


def test_a_message_delivered_again_is_stored_once_and_worked_on_once(store: Store) -> None:
    body = load("text", WA_ID=new_wa_id())
    notification = read_notification(body, PHONE_NUMBER_ID)
    first, again = (
        inbox.store_notification(store, notification),
        inbox.store_notification(store, notification),
    )
    assert len(first.new) == 1 and first.repeated == 0
    assert again.new == [] and again.repeated == 1
    [row] = rows(store, notification.messages[0].conversation_id)
    assert (row.status, row.text, row.author, row.profile_name) == (
        "received",
        "hello",
        "customer",
        "Sheena Nelson",
    )


def test_a_reaction_is_recorded_and_needs_no_turn(store: Store) -> None:
    stored = inbox.store_notification(store, read_notification(load("reaction"), PHONE_NUMBER_ID))
    assert stored.new == []
    with store.session() as s:
        row = s.scalars(sa.select(WhatsAppMessage).order_by(WhatsAppMessage.id.desc())).first()
        assert row.kind == "reaction" and row.status == "recorded" and row.media["emoji"] == "\U0001f600"


def test_statuses_are_stored_once_and_only_move_a_message_forward(store: Store) -> None:
    wa_id = new_wa_id()
    [work] = outbox.record(store, f"whatsapp:{wa_id}", text_drafts("Shipped!"), "bot")
    wamid = new_wamid()
    report = lambda name: read_notification(load(name, WA_ID=wa_id, WAMID=wamid), PHONE_NUMBER_ID)  # noqa: E731
    inbox.store_notification(store, report("status_read"))  # read arrives before our own record of sending
    outbox.mark_sent(store, work, wamid, 1)
    for name in ("status_delivered", "status_sent", "status_read"):
        inbox.store_notification(store, report(name))
    with store.session() as s:
        assert s.get(WhatsAppMessage, work.id).status == "read"
        assert s.scalar(sa.select(sa.func.count()).where(WhatsAppStatus.wamid == wamid)) == 3
    stored = inbox.store_notification(store, report("status_failed"))
    assert stored.outside_window == [f"whatsapp:{wa_id}"]
    with store.session() as s:
        row = s.get(WhatsAppMessage, work.id)
        assert row.status == "failed" and row.error["code"] == 131047


@pytest.mark.parametrize(
    "secret, signature, size, error",
    [(None, None, 0, AuthError), ("wrong-secret", None, 0, ForbiddenError), (APP_SECRET, "sha256=00", 0, ForbiddenError),
     (APP_SECRET, None, 2_000_000, PayloadTooLarge)],
)  # fmt: skip
async def test_unsigned_wrongly_signed_or_oversized_calls_are_refused_and_nothing_is_stored(
    runtime: Runtime, store: Store, secret: Any, signature: Any, size: int, error: type
) -> None:
    wa_id = new_wa_id()
    raw = json.dumps(load("text", WA_ID=wa_id)).encode() + b" " * size
    header = signature or (sign(secret, raw) if secret else None)
    with pytest.raises(error):
        await store_signed(raw, header, runtime)
    assert rows(store, f"whatsapp:{wa_id}") == []


async def test_a_signed_body_that_is_not_a_notification_is_a_400(runtime: Runtime) -> None:
    for raw in (b"{not json", b"[]", json.dumps({"object": "page"}).encode()):
        with pytest.raises(BadRequest):
            await store_signed(raw, sign(APP_SECRET, raw), runtime)


async def test_without_its_secrets_the_channel_says_it_is_not_configured(store: Store, tmp_path: Any) -> None:
    with pytest.raises(NotConfigured) as refused:
        await store_signed(b"{}", "sha256=00", Runtime(Settings(var_dir=tmp_path), store))
    assert refused.value.http_status == 503


async def test_a_database_that_is_away_gets_503_so_meta_delivers_again(runtime: Runtime) -> None:
    runtime._store = Store(create_db_engine("postgresql://postgres@127.0.0.1:9/none"))
    raw = json.dumps(load("text")).encode()
    with turn_deadline(0.5), pytest.raises(ServiceUnavailable):
        await store_signed(raw, sign(APP_SECRET, raw), runtime)


async def test_a_turn_that_keeps_failing_is_retried_then_answered_with_an_apology(
    runtime: Runtime, store: Store, graph: FakeGraph
) -> None:
    """No model is loaded (a temporary failure): tried again, then failed visibly."""
    wa_id = new_wa_id()
    [work] = inbox.store_notification(
        store, read_notification(load("text", WA_ID=wa_id), PHONE_NUMBER_ID)
    ).new
    await runtime.worker.process(work)
    [row] = rows(store, f"whatsapp:{wa_id}")
    assert (row.status, row.attempts, row.error["code"]) == ("received", 1, "not_ready") and graph.sent(
        wa_id
    ) == []
    with store.session() as s:  # due now
        s.get(WhatsAppMessage, row.id).next_attempt_at -= timedelta(seconds=5)
    assert row.id in inbox.due(store)
    await runtime.worker.process(inbox.claim(store, row.id))
    inbound, apology = rows(store, f"whatsapp:{wa_id}")
    assert (inbound.status, inbound.attempts) == ("failed", 2)
    assert (apology.author, apology.status, apology.reply_to_id) == ("system", "sent", inbound.id)
    assert graph.sent(wa_id)[0]["text"]["body"] == texts.TURN_FAILED
    assert graph.read_receipts().count(work.wamid) == 2


async def test_media_without_a_caption_is_acknowledged_without_a_turn(
    runtime: Runtime, store: Store, graph: FakeGraph
) -> None:
    wa_id = new_wa_id()
    notification = read_notification(load("document", WA_ID=wa_id), PHONE_NUMBER_ID)
    [work] = inbox.store_notification(store, notification).new
    await runtime.worker.process(work)
    inbound, ack = rows(store, f"whatsapp:{wa_id}")
    assert inbound.status == "answered" and inbound.media["filename"] == "invoice-48213.pdf"
    assert ack.text == texts.media_received("document") and ack.status == "sent"
