"""The action server stops while customers talk over REST. Rasa's processor would log the
custom action it could not call and store the turn without it (a 200 that is a lie); here the
turn fails visibly (503, nothing stored), and once the action server is back, the same message
sent again gets its answer, once."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests

from tests.chaos.conftest import ChaosStack
from tests.integration.conftest import start_action_server

pytestmark = pytest.mark.integration


def post(chaos: ChaosStack, sender: str, text: str, message_id: str) -> requests.Response:
    body = {"sender": sender, "message": text, "message_id": message_id}
    return requests.post(f"{chaos.rasa.url}/webhooks/rest/webhook", json=body, timeout=60)


def test_a_turn_whose_action_cannot_be_called_fails_visibly_and_is_answered_once_back(
    chaos: ChaosStack,
) -> None:
    sender = "actions-down-1"
    actions = chaos.stack.servers[0]
    actions.stop()
    try:
        failed = post(chaos, sender, "your service is terrible", "m-1")
        assert failed.status_code == 503 and failed.headers["Retry-After"]
        assert failed.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        with psycopg2.connect(chaos.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM events WHERE sender_id = %s", (sender,))
            assert cur.fetchone()[0] == 0, "nothing of the failed turn is stored"
    finally:
        port = urlsplit(actions.url).port
        restarted = start_action_server(chaos.stack.env, chaos.stack.workdir, port=port)
        chaos.stack.servers[0] = restarted
    answered = post(chaos, sender, "your service is terrible", "m-1")
    assert answered.status_code == 200 and "complaint" in json.dumps(answered.json())
    with psycopg2.connect(chaos.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickets WHERE conversation_id = %s", (sender,))
        assert cur.fetchone()[0] == 1
