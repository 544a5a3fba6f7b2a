"""Waiting is never silence on WhatsApp too: after a handoff, the customer's next message is
acknowledged with where they stand (channels/waiting_notice.py, the notice every channel sends),
as an interactive message when it offers choices; it is stored, and the bot stays quiet."""

from __future__ import annotations

import time

import pytest

from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.helpers import shown, user_events, wait_until
from tests.channels.whatsapp.payloads import load, new_wa_id, post
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration
WHERE_WE_STAND = ("signed in right now", "away right now", "in the queue")


def test_a_customer_waiting_for_an_agent_hears_where_they_stand(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id, conversation = new_wa_id(), ""
    conversation = f"whatsapp:{wa_id}"
    assert post(wa.url, load("text", WA_ID=wa_id, TEXT="I want to talk to a human agent")).status_code == 200
    graph.wait_sent(wa_id)
    time.sleep(2)  # every reply of the handoff has gone out
    before = len(graph.sent(wa_id))
    assert post(wa.url, load("text", WA_ID=wa_id, TEXT="hello? is anyone there")).status_code == 200
    notice = graph.wait_sent(wa_id, before + 1)[before]
    text = shown(notice)
    assert any(phrase in text for phrase in WHERE_WE_STAND), text
    if "in the queue" not in text:  # no one there: the choices come as buttons
        assert notice["type"] == "interactive", notice
    wait_until(lambda: len(user_events(pg_database, conversation)) == 2, what="both messages stored")
    time.sleep(2)
    assert len(graph.sent(wa_id)) == before + 1, "the bot itself said nothing more"
