"""Our REST webhook over real HTTP (real Rasa server, action server, PostgreSQL, Redis): the body
rules and the error envelope, retried message ids, health, and a fuzz of the body."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List, Optional

import psycopg2
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Server, Stack, new_sender, texts

pytestmark = pytest.mark.integration


def post(server: Server, body: Any, raw: Optional[bytes] = None) -> requests.Response:
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(f"{server.url}/webhooks/rest/webhook", data=data, timeout=60)


def stored_users(pg_database: str, sender: str) -> List[Dict[str, Any]]:
    with psycopg2.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,)
        )
        return [json.loads(data) for (data,) in cur.fetchall()]


def tickets(pg_database: str, sender: str) -> List[str]:
    with psycopg2.connect(pg_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT reference FROM tickets WHERE conversation_id = %s", (sender,))
        return [reference for (reference,) in cur.fetchall()]


def assert_envelope(response: requests.Response, status: int, code: str) -> Dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["details"], dict)
    assert body["meta"]["request_id"] == response.headers["X-Request-Id"] and body["meta"]["timestamp"]
    return body


@pytest.mark.parametrize(
    "body, field",
    [({"message": "hi"}, "sender"), ({"sender": "{s}"}, "message"), ({"sender": "{s}", "message": 5}, "message"),
     ({"sender": "{s}", "message": {"text": "hi"}}, "message"), ({"sender": "{s}", "message": "hi", "metadata": "x"}, "metadata"),
     ({"sender": "{s}", "message": "hi", "metadata": [1]}, "metadata"), ({"sender": "{s}" + "x" * 200, "message": "hi"}, "sender"),
     ({"sender": "{s} x", "message": "hi"}, "sender"), ({"sender": "{s}", "message": ""}, "message"),
     ({"sender": "{s}", "message": "x" * 5_001}, "message"), ({"sender": "{s}", "message": "hi", "message_id": 7}, "message_id")],
)  # fmt: skip
def test_a_malformed_body_gets_400_with_the_envelope_and_nothing_is_stored(
    rasa: Server, pg_database: str, body: Dict[str, Any], field: str
) -> None:
    sender = new_sender()
    body = {k: v.replace("{s}", sender) if isinstance(v, str) else v for k, v in body.items()}
    envelope = assert_envelope(post(rasa, body), 400, "VALIDATION_ERROR")
    assert envelope["error"]["details"]["field"] == field
    assert stored_users(pg_database, sender) == []


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b"{not json", b'"just text"', b"42"])
def test_a_body_that_is_not_an_object_gets_400_not_a_server_error(rasa: Server, raw: bytes) -> None:
    assert_envelope(post(rasa, None, raw=raw), 400, "VALIDATION_ERROR")


def test_there_is_no_shared_default_conversation(rasa: Server, pg_database: str) -> None:
    assert_envelope(post(rasa, {"message": "I want to complain"}), 400, "VALIDATION_ERROR")
    assert stored_users(pg_database, "default") == []


def test_clients_cannot_set_reserved_metadata_and_card_numbers_are_masked(
    rasa: Server, pg_database: str
) -> None:
    sender = new_sender()
    metadata = {
        "page": "/help",
        "_identity": "forged",
        "northwind_customer_id": 1,
        "note": "4111 1111 1111 1111",
    }
    response = post(rasa, {"sender": sender, "message": "hi, card 4111 1111 1111 1111", "metadata": metadata})
    assert response.status_code == 200 and response.json()
    [user] = stored_users(pg_database, sender)
    assert user["text"] == "hi, card [REDACTED CARD]"
    assert user["metadata"]["page"] == "/help" and user["metadata"]["note"] == "[REDACTED CARD]"
    assert "_identity" not in user["metadata"] and "northwind_customer_id" not in user["metadata"]
    assert user["metadata"]["northwind_request_id"] == response.headers["X-Request-Id"]


def test_a_retried_message_id_is_answered_from_what_was_stored(rasa: Server, pg_database: str) -> None:
    sender, message_id = new_sender(), f"m-{uuid.uuid4().hex[:8]}"
    body = {"sender": sender, "message": "your service is terrible", "message_id": message_id}
    first, retried = post(rasa, body), post(rasa, body)
    assert first.status_code == retried.status_code == 200
    assert "complaint" in texts(first.json()) and retried.json() == first.json()
    assert retried.headers.get("X-Replayed") == "true" and "X-Replayed" not in first.headers
    assert [u["message_id"] for u in stored_users(pg_database, sender)] == [message_id]
    assert len(tickets(pg_database, sender)) == 1, "one complaint, one ticket"


def test_an_effect_whose_turn_was_never_stored_happens_once(
    rasa: Server, stack: Stack, pg_database: str
) -> None:
    """The action ran and committed, then the turn failed before Rasa stored it; the client
    retries the same message: the conversation gets the recorded answer, the store no second ticket."""
    sender, message_id, text = new_sender(), "yes-1", "your service is terrible"
    tracker = {"sender_id": sender, "slots": {}, "latest_message": {"text": text, "message_id": message_id},
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": "action_listen"}  # fmt: skip
    call = {"next_action": "action_log_complaint", "tracker": tracker, "domain": {}}
    ran = requests.post(f"{stack.action_url}/webhook", json=call, timeout=30).json()
    [reference] = tickets(pg_database, sender)
    assert reference in ran["responses"][0]["text"] and stored_users(pg_database, sender) == []
    response = post(rasa, {"sender": sender, "message": text, "message_id": message_id})
    assert response.status_code == 200 and reference in texts(response.json())
    assert tickets(pg_database, sender) == [reference]
    assert [u["message_id"] for u in stored_users(pg_database, sender)] == [message_id]


def test_the_servers_report_liveness_and_readiness(rasa: Server, stack: Stack) -> None:
    assert requests.get(f"{rasa.url}/health/live", timeout=5).json() == {"status": "alive"}
    ready = requests.get(f"{rasa.url}/health/ready", timeout=5)
    assert ready.status_code == 200 and set(ready.json()["checks"]) == {"model", "database", "redis"}
    actions = requests.get(f"{stack.action_url}/health/ready", timeout=5)
    assert actions.status_code == 200 and set(actions.json()["checks"]) == {"database"}
    assert requests.get(f"{stack.action_url}/health/live", timeout=5).ok


# --- fuzz: whatever the body, never a 5xx, and a 200 only for a message that was stored ------

SENDERS = st.uuids().map(lambda u: f"fz-{u.hex[:16]}")
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
TEXTS = st.sampled_from(["hi", "where is my order 48213", "thanks", "tell me a joke"]) | st.text(max_size=60)
FIELD_VALUES = {
    "sender": SENDERS | VALUES,
    "message": TEXTS | VALUES,
    "metadata": st.dictionaries(st.text(max_size=12), VALUES, max_size=4) | VALUES,
    "message_id": st.uuids().map(lambda u: u.hex) | VALUES,
}
BODIES = st.fixed_dictionaries(
    {},
    optional={**FIELD_VALUES, "extra": VALUES},  # type: ignore[arg-type]
) | VALUES.map(lambda v: {"value": v})


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(body=BODIES)
def test_fuzzed_bodies_never_get_a_5xx_nor_a_200_unless_processed(
    rasa: Server, pg_database: str, body: Any
) -> None:
    response = post(rasa, body)
    assert response.status_code < 500, response.text
    sender = body.get("sender") if isinstance(body, dict) else None
    fresh = isinstance(sender, str) and sender.startswith("fz-")  # a conversation of this example only
    stored = stored_users(pg_database, sender) if isinstance(sender, str) else []
    if response.status_code == 200:
        assert isinstance(response.json(), list)
        assert stored, "a 200 means the message was stored"
        if fresh and isinstance(body.get("message_id"), str):
            assert stored[-1]["message_id"] == body["message_id"]
    else:
        assert_envelope(response, response.status_code, response.json()["error"]["code"])
        assert not fresh or stored == [], "a refused body leaves nothing behind"
