"""Sending through the real Graph API client to the loopback Graph API, with every error Meta
documents, recorded in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from typing import AsyncIterator, List

import pytest

from assistant.settings import WhatsAppSettings
from assistant.store import Store
from assistant.store.models import WhatsAppMessage
from channels.whatsapp import outbox
from channels.whatsapp.delivery import DeliveryRefused, deliver
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.meta_errors import GraphFailure
from channels.whatsapp.outgoing import text_drafts
from channels.whatsapp.output import WhatsAppOutput
from channels.whatsapp.rows import OutboundWork
from channels.whatsapp.sender import Sender
from tests.channels.whatsapp.conftest import TEMPLATE
from tests.channels.whatsapp.fake_graph import TOKEN, FakeGraph
from tests.channels.whatsapp.payloads import PHONE_NUMBER_ID, new_wa_id

PACE = 0.4


def wa_settings(graph: FakeGraph, **changes: object) -> WhatsAppSettings:
    values = dict(app_secret="s", verify_token="v", access_token=TOKEN, phone_number_id=PHONE_NUMBER_ID,
                  graph_base_url=graph.url, reengagement_template=TEMPLATE, retry_base_seconds=0.02,
                  pair_pace_seconds=PACE, send_attempts=4, http_timeout_seconds=3.0)  # fmt: skip
    values.update(changes)
    return WhatsAppSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def sender(store: Store, graph: FakeGraph) -> AsyncIterator[Sender]:
    client = GraphClient(wa_settings(graph))
    yield Sender(client, store, client.settings)
    await client.close()


def queue(store: Store, wa_id: str, *texts: str) -> List[OutboundWork]:
    return outbox.record(store, f"whatsapp:{wa_id}", [d for t in texts for d in text_drafts(t)], "bot")


def row(store: Store, record_id: int) -> WhatsAppMessage:
    with store.session() as s:
        return s.get(WhatsAppMessage, record_id)


async def test_a_message_goes_out_with_the_token_and_is_recorded_with_metas_id(
    sender: Sender, store: Store, graph: FakeGraph
) -> None:
    wa_id = new_wa_id()
    [outcome] = await sender.deliver(queue(store, wa_id, "Your order shipped."))
    [body] = graph.sent(wa_id)
    assert body == {"messaging_product": "whatsapp", "recipient_type": "individual", "type": "text",
                    "text": {"body": "Your order shipped.", "preview_url": False}, "to": wa_id}  # fmt: skip
    assert graph.requests[-1].authorization == f"Bearer {TOKEN}"
    assert graph.requests[-1].path == f"/v23.0/{PHONE_NUMBER_ID}/messages"
    recorded = row(store, outcome.record_id)
    assert (recorded.status, recorded.wamid, recorded.attempts) == ("sent", outcome.wamid, 1)


@pytest.mark.parametrize("code, http_status", [(130429, None), (131000, None), (None, 503)])
async def test_throughput_and_server_errors_are_retried_with_backoff(
    sender: Sender, store: Store, graph: FakeGraph, code: object, http_status: object
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, code, times=2, http_status=http_status)  # type: ignore[arg-type]
    [outcome] = await sender.deliver(queue(store, wa_id, "hello"))
    assert outcome.status == "sent" and len(graph.sent(wa_id)) == 3
    assert row(store, outcome.record_id).attempts == 3


async def test_a_message_that_never_goes_through_is_recorded_failed_not_dropped(
    sender: Sender, store: Store, graph: FakeGraph
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 130429, times=4)
    [outcome] = await sender.deliver(queue(store, wa_id, "hello"))
    recorded = row(store, outcome.record_id)
    assert recorded.status == "failed" and recorded.error["code"] == 130429 and recorded.attempts == 4


async def test_an_unreachable_graph_api_is_retried_then_recorded_failed(
    store: Store, graph: FakeGraph
) -> None:
    client = GraphClient(wa_settings(graph, graph_base_url="http://127.0.0.1:9", send_attempts=2))
    [outcome] = await Sender(client, store, client.settings).deliver(queue(store, new_wa_id(), "hello"))
    await client.close()
    recorded = row(store, outcome.record_id)
    assert recorded.status == "failed" and "could not be reached" in recorded.error["title"]


async def test_too_many_messages_to_one_number_paces_that_number(
    sender: Sender, store: Store, graph: FakeGraph
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 131056)
    outcomes = await sender.deliver(queue(store, wa_id, "one", "two"))
    assert [o.status for o in outcomes] == ["sent", "sent"]
    times = [r.at for r in graph.requests if isinstance(r.body, dict) and r.body.get("to") == wa_id]
    assert len(times) == 3 and times[1] - times[0] >= PACE * 0.9 and times[2] - times[1] >= PACE * 0.9


async def test_outside_the_24_hour_window_the_template_goes_instead_once_a_day(
    sender: Sender, store: Store, graph: FakeGraph
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 131047)
    outcomes = await sender.deliver(queue(store, wa_id, "first", "second"))
    assert [o.status for o in outcomes] == ["failed", "failed"] and outcomes[0].template.status == "sent"
    assert [b["type"] for b in graph.sent(wa_id)] == ["text", "template"]
    assert graph.sent(wa_id)[1]["template"] == {"name": TEMPLATE, "language": {"code": "en_US"}}
    assert row(store, outcomes[1].record_id).error["code"] == 131047, "the rest fail with it, unsent"
    graph.fail_next(wa_id, 131047)
    [again] = await sender.deliver(queue(store, wa_id, "third"))
    assert again.template is None and len(graph.sent(wa_id)) == 3, "one template a day"


async def test_without_a_template_a_closed_window_is_logged_and_recorded(
    store: Store, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    client = GraphClient(wa_settings(graph, reengagement_template=None))
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 131047)
    with caplog.at_level(logging.ERROR):
        [outcome] = await Sender(client, store, client.settings).deliver(queue(store, wa_id, "hi"))
    await client.close()
    assert outcome.status == "failed" and outcome.template is None
    assert "WHATSAPP_REENGAGEMENT_TEMPLATE is not set" in caplog.text


async def test_an_invalid_token_is_logged_loudly_and_nothing_more_is_tried(
    sender: Sender, store: Store, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 190)
    with caplog.at_level(logging.CRITICAL):
        outcomes = await sender.deliver(queue(store, wa_id, "one", "two"))
    assert [o.status for o in outcomes] == ["failed", "failed"] and len(graph.sent(wa_id)) == 1
    assert any(r.levelno == logging.CRITICAL and "WHATSAPP_ACCESS_TOKEN" in r.message for r in caplog.records)
    assert row(store, outcomes[0].record_id).error["code"] == 190


@pytest.mark.parametrize("code", [131026, 100])
async def test_other_errors_fail_the_message_at_once_with_metas_error(
    sender: Sender, store: Store, graph: FakeGraph, code: int
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, code)
    outcomes = await sender.deliver(queue(store, wa_id, "one", "two"))
    assert [o.status for o in outcomes] == ["failed", "sent"] and len(graph.sent(wa_id)) == 2
    assert row(store, outcomes[0].record_id).error["code"] == code


async def test_media_is_found_then_downloaded_with_the_token_and_checked(graph: FakeGraph) -> None:
    client = GraphClient(wa_settings(graph))
    graph.add_media("8812", b"OggS voice", "audio/ogg")
    info = await client.media_info("8812")
    assert await client.download(info, 1000) == b"OggS voice"
    with pytest.raises(GraphFailure, match="larger"):
        await client.download(info, 5)
    with pytest.raises(GraphFailure, match="SHA-256"):
        await client.download({**info, "sha256": "00" * 32}, 1000)
    with pytest.raises(GraphFailure):
        await client.media_info("404404")
    await client.close()


async def test_rasas_own_sends_go_out_at_once_and_are_recorded(
    sender: Sender, store: Store, graph: FakeGraph
) -> None:
    """``output_channel=whatsapp`` of Rasa's HTTP API (reminders, ``trigger_intent``)."""
    wa_id = new_wa_id()
    output = WhatsAppOutput(sender)
    await output.send_response(f"whatsapp:{wa_id}", {"text": "Still there?", "buttons": [
        {"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]})  # fmt: skip
    [body] = graph.sent(wa_id)
    assert body["interactive"]["type"] == "button" and body["interactive"]["body"]["text"] == "Still there?"
    with store.session() as s:
        [recorded] = s.query(WhatsAppMessage).filter_by(conversation_id=f"whatsapp:{wa_id}").all()
        assert recorded.author == "bot" and recorded.status == "sent"


async def test_the_delivery_function_sends_once_per_message_id_and_refuses_other_channels(
    sender: Sender, store: Store, graph: FakeGraph
) -> None:
    wa_id = new_wa_id()
    drafts = text_drafts("Your refund is on its way.")
    first = await deliver(
        f"whatsapp:{wa_id}", drafts, author="agent:a-1", message_id=f"d-{wa_id}", sender=sender
    )
    again = await deliver(
        f"whatsapp:{wa_id}", drafts, author="agent:a-1", message_id=f"d-{wa_id}", sender=sender
    )
    assert (first.status, first.replayed, again.replayed) == ("sent", False, True)
    assert again.wamid == first.wamid and again.record_id == first.record_id and len(graph.sent(wa_id)) == 1
    with pytest.raises(DeliveryRefused):
        await deliver("rest-conversation-1", drafts, author="agent:a-1", sender=sender)
