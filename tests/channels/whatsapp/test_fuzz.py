"""A property-based fuzz of the webhook over HTTP: whatever the JSON (arbitrary, or a documented
payload with any part replaced), signed, unsigned or wrongly signed, the answer is 200 or 4xx,
never a 5xx, and the server keeps serving; a message id delivered again is stored once."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.whatsapp.helpers import query, wait_until
from tests.channels.whatsapp.payloads import MESSAGE_TYPES, STATUS_TYPES, load, new_wa_id, post
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
KEYS = ("object", "entry", "changes", "field", "value", "metadata", "phone_number_id", "contacts", "messages",
        "statuses", "from", "id", "type", "timestamp", "text", "body", "interactive", "button_reply", "image",
        "audio", "location", "reaction", "errors", "status", "recipient_id")  # fmt: skip


def replaced(body: Any, key: str, value: Any) -> Any:
    """``body`` with every value under ``key`` (at any depth) replaced by ``value``."""
    if isinstance(body, dict):
        return {k: (value if k == key else replaced(v, key, value)) for k, v in body.items()}
    if isinstance(body, list):
        return [replaced(item, key, value) for item in body]
    return body


MUTATED = st.builds(
    lambda name, key, value: replaced(load(name), key, value),
    st.sampled_from(MESSAGE_TYPES + STATUS_TYPES), st.sampled_from(KEYS), VALUES,
)  # fmt: skip
BODIES = VALUES | MUTATED | st.sampled_from(MESSAGE_TYPES + STATUS_TYPES).map(load)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(body=BODIES, signing=st.sampled_from(["signed", "unsigned", "wrong"]))
def test_any_json_gets_200_or_4xx_and_never_a_server_error(wa: Server, body: Any, signing: str) -> None:
    secret = {"signed": "test-app-secret-0123456789abcdef", "unsigned": None, "wrong": "guess"}[signing]
    response = post(wa.url, body, secret=secret)
    assert response.status_code in (200, 400, 401, 403, 413), response.text
    if signing != "signed":
        assert response.status_code in (401, 403)
    if response.status_code != 200:
        assert response.json()["success"] is False


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(text=st.text(min_size=1, max_size=60))
def test_a_replayed_message_id_is_stored_and_processed_once(wa: Server, pg_database: str, text: str) -> None:
    body = load("text", WA_ID=new_wa_id(), TEXT=text)
    wamid = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    first, again = post(wa.url, body), post(wa.url, copy.deepcopy(body))
    assert first.status_code == again.status_code == 200
    assert len(query(pg_database, "SELECT id FROM whatsapp_messages WHERE wamid = %s", wamid)) == 1


def test_every_fuzzed_message_was_worked_off_and_the_server_still_serves(
    wa: Server, pg_database: str
) -> None:
    """The fuzz left a burst of turns behind: each is answered (or visibly failed), none is left."""
    waiting = "SELECT id FROM whatsapp_messages WHERE direction = 'in' AND status = 'received'"
    wait_until(lambda: not query(pg_database, waiting), timeout=240, what="the inbox to drain")
    assert requests.get(f"{wa.url}/webhooks/whatsapp/", timeout=10).json() == {
        "status": "ok",
        "configured": True,
    }
    assert post(wa.url, load("text")).status_code == 200
