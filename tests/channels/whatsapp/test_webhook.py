"""The WhatsApp webhook on the real Rasa server over HTTP (with the action server, PostgreSQL
and Redis): verification, signatures, every documented message type and status, one reply per
message id, a fast answer while the turn runs, who the customer is, masking at entry."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List

import pytest
import requests

from channels.whatsapp import texts
from tests.channels.whatsapp.conftest import TEMPLATE
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.helpers import (
    ORDER_QUESTION,
    inbound,
    replies,
    rows,
    slots,
    statuses,
    user_events,
    wait_until,
)
from tests.channels.whatsapp.payloads import VERIFY_TOKEN, load, new_wa_id, post
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration

CARD = "4111 1111 1111 1111"
MEDIA_ID = "4111111111111111"  # passes the Luhn check: must still be stored as it is


@pytest.mark.parametrize("path", ["/webhooks/whatsapp/webhook", "/api/channels/whatsapp/webhook"])
def test_meta_verifies_the_webhook_with_our_token_and_nobody_else_can(wa: Server, path: str) -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = requests.get(f"{wa.url}{path}", params=good, timeout=10)
    assert answer.status_code == 200 and answer.text == "1158201444"
    for wrong in ({**good, "hub.verify_token": "guess"}, {**good, "hub.mode": "unsubscribe"}, {}):
        refused = requests.get(f"{wa.url}{path}", params=wrong, timeout=10)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


def test_unsigned_or_wrongly_signed_calls_are_refused_and_nothing_happens(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id = new_wa_id()
    body = load("text", WA_ID=wa_id, TEXT="cancel my order 10001")
    assert post(wa.url, body, secret=None).status_code == 401
    assert post(wa.url, body, secret="not-the-app-secret").status_code == 403
    assert post(wa.url, body, signature="sha256=" + "0" * 64).status_code == 403
    time.sleep(1.0)
    assert rows(pg_database, f"whatsapp:{wa_id}") == [] and graph.sent(wa_id) == []


CASES: Dict[str, Any] = {  # payload -> (its values, what the customer reads back)
    "text": ({"TEXT": "where is my order"}, ORDER_QUESTION),
    "interactive_button_reply": ({"PAYLOAD": "/order_status", "TITLE": "Track an order"}, ORDER_QUESTION),
    "interactive_list_reply": ({"PAYLOAD": "/order_status", "TITLE": "Track an order"}, ORDER_QUESTION),
    "button": ({"PAYLOAD": "/order_status", "TITLE": "Track an order"}, ORDER_QUESTION),
    "image": ({"TEXT": "where is my order", "MEDIA_ID": MEDIA_ID}, ORDER_QUESTION),
    "image_without_caption": ({"MEDIA_ID": MEDIA_ID}, texts.media_received("image")),
    "video": ({}, texts.media_received("video")),
    "document": ({}, texts.media_received("document")),
    "sticker": ({}, texts.media_received("sticker")),
    "location": ({}, texts.LOCATION_RECEIVED),
    "contacts": ({}, texts.CONTACTS_RECEIVED),
    "unsupported": ({}, texts.UNSUPPORTED),
    "unknown_legacy": ({}, texts.UNSUPPORTED),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_documented_message_type_gets_its_answer(
    wa: Server, graph: FakeGraph, pg_database: str, name: str
) -> None:
    wa_id, (values, expected) = new_wa_id(), CASES[name]
    body = load(name, WA_ID=wa_id, **values)
    response = post(wa.url, body)
    assert response.status_code == 200 and response.json() == {"status": "received"}
    [reply] = replies(graph, wa_id)
    assert expected in reply
    message = inbound(pg_database, f"whatsapp:{wa_id}", "answered")
    kind = body["entry"][0]["changes"][0]["value"]["messages"][0]["type"]
    assert message["kind"] == kind and message["wamid"] in graph.read_receipts()
    if kind in ("image", "video", "document", "sticker"):
        assert message["media"]["id"] == body["entry"][0]["changes"][0]["value"]["messages"][0][kind]["id"]
    answered = [r for r in rows(pg_database, f"whatsapp:{wa_id}") if r["direction"] == "out"]
    assert [(r["status"], r["reply_to_id"]) for r in answered] == [("sent", message["id"])]


def test_a_reaction_is_recorded_against_its_message_and_gets_no_reply(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id = new_wa_id()
    assert post(wa.url, load("reaction", WA_ID=wa_id, CONTEXT_WAMID="wamid.ours1")).status_code == 200
    message = inbound(pg_database, f"whatsapp:{wa_id}", "recorded")
    assert message["kind"] == "reaction" and message["media"]["message_id"] == "wamid.ours1"
    time.sleep(1.5)
    assert graph.sent(wa_id) == [] and user_events(pg_database, f"whatsapp:{wa_id}") == []


def test_statuses_are_recorded_for_their_message_and_never_reach_nlu(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id, conversation = new_wa_id(), f"whatsapp:{new_wa_id()}"
    conversation = f"whatsapp:{wa_id}"
    assert post(wa.url, load("text", WA_ID=wa_id, TEXT="hi")).status_code == 200
    replies(graph, wa_id)
    [reply] = wait_until(
        lambda: [r for r in rows(pg_database, conversation) if r["direction"] == "out" and r["wamid"]]
    )
    for name in ("status_sent", "status_delivered", "status_read", "status_delivered"):
        assert post(wa.url, load(name, WA_ID=wa_id, WAMID=reply["wamid"])).status_code == 200
    assert statuses(pg_database, reply["wamid"]) == ["sent", "delivered", "read"]
    assert [r for r in rows(pg_database, conversation) if r["id"] == reply["id"]][0]["status"] == "read"
    assert [e["text"] for e in user_events(pg_database, conversation)] == ["hi"]


def test_a_message_that_failed_outside_the_window_is_followed_by_the_template(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    """Meta reports 131047 later, as a failed status: the configured template goes out."""
    wa_id, conversation = new_wa_id(), ""
    conversation = f"whatsapp:{wa_id}"
    assert post(wa.url, load("text", WA_ID=wa_id, TEXT="thanks")).status_code == 200
    replies(graph, wa_id)
    reply = wait_until(
        lambda: [r for r in rows(pg_database, conversation) if r["direction"] == "out" and r["wamid"]]
    )[0]
    assert post(wa.url, load("status_failed", WA_ID=wa_id, WAMID=reply["wamid"])).status_code == 200
    template = graph.wait_sent(wa_id, 2)[-1]
    assert template["type"] == "template" and template["template"]["name"] == TEMPLATE
    failed = [r for r in rows(pg_database, conversation) if r["id"] == reply["id"]][0]
    assert failed["status"] == "failed" and failed["error"]["code"] == 131047


def test_a_message_delivered_again_is_processed_once(wa: Server, graph: FakeGraph, pg_database: str) -> None:
    wa_id = new_wa_id()
    body = load("text", WA_ID=wa_id, TEXT="your service is terrible")
    answers: List[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(post(wa.url, body).status_code)) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200, 200] and post(wa.url, body).status_code == 200
    replies(graph, wa_id)
    time.sleep(2.0)
    conversation = f"whatsapp:{wa_id}"
    assert len(user_events(pg_database, conversation)) == 1
    assert len([r for r in rows(pg_database, conversation) if r["direction"] == "in"]) == 1
    assert len(graph.sent(wa_id)) == len(
        [r for r in rows(pg_database, conversation) if r["direction"] == "out"]
    )


def test_the_webhook_answers_at_once_while_the_turn_and_its_reply_take_long(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id, conversation = new_wa_id(), ""
    conversation = f"whatsapp:{wa_id}"
    graph.delay_next(wa_id, 4.0)
    started = time.monotonic()
    assert post(wa.url, load("text", WA_ID=wa_id, TEXT="where is my order")).status_code == 200
    answered = time.monotonic() - started
    wait_until(lambda: [r for r in rows(pg_database, conversation) if r["direction"] == "out" and r["wamid"]])
    assert answered < 2.0 and time.monotonic() - started >= 4.0
    assert ORDER_QUESTION in replies(graph, wa_id)[0]


def test_a_number_on_file_is_that_customer_verified_and_others_are_anonymous(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    jane = "15550101"  # +1 555 0101 is Jane Doe's phone on file: Meta has verified its holder
    assert post(wa.url, load("text", WA_ID=jane, TEXT="where is my order 48213?")).status_code == 200
    answer = " ".join(replies(graph, jane, timeout=90))
    assert "1Z999AA10123456784" in answer, "the verified owner sees the tracking number without a check"
    assert (slots(wa, f"whatsapp:{jane}")["customer_id"], slots(wa, f"whatsapp:{jane}")["verification"]) == (
        1.0, "verified")  # fmt: skip
    stranger = new_wa_id()
    assert post(wa.url, load("text", WA_ID=stranger, TEXT="where is my order 48213?")).status_code == 200
    answer = " ".join(replies(graph, stranger))
    assert "1Z999AA10123456784" not in answer
    assert slots(wa, f"whatsapp:{stranger}")["verification"] == "anonymous"


def test_card_numbers_are_masked_before_anything_stores_or_parses_them(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id, conversation = new_wa_id(), ""
    conversation = f"whatsapp:{wa_id}"
    text = f"I was charged twice on {CARD}"
    assert post(wa.url, load("text", WA_ID=wa_id, TEXT=text)).status_code == 200
    replies(graph, wa_id)
    message = inbound(pg_database, conversation, "answered")
    assert message["text"] == "I was charged twice on [REDACTED CARD]" and CARD not in str(message["body"])
    [event] = user_events(pg_database, conversation)
    assert CARD not in str(event) and "[REDACTED CARD]" in event["text"]
