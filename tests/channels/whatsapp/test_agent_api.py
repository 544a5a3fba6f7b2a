"""``POST /api/channels/whatsapp/messages`` on the real Rasa server: an agent's message goes out
through the Graph API, is recorded and kept in the conversation; errors in the house envelope."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
import requests

from tests.channels.chat import token
from tests.channels.whatsapp.conftest import TEMPLATE
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.helpers import rows
from tests.channels.whatsapp.payloads import new_wa_id
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration


def send(wa: Server, body: Any, bearer: Optional[str] = "agent") -> requests.Response:
    headers = {"Authorization": f"Bearer {token('agent-7', bearer, name='Alice')}"} if bearer else {}
    return requests.post(f"{wa.url}/api/channels/whatsapp/messages", json=body, headers=headers, timeout=60)


def envelope(response: requests.Response, status: int, code: str) -> Dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code and body["meta"]["request_id"]
    return body["error"]


def test_only_agents_and_admins_may_send(wa: Server) -> None:
    body = {"to": f"+{new_wa_id()}", "text": "hello"}
    envelope(send(wa, body, bearer=None), 401, "UNAUTHORIZED")
    envelope(send(wa, body, bearer="customer"), 403, "FORBIDDEN")
    assert send(wa, body, bearer="admin").status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [({"text": "hi"}, "to"), ({"to": "+1 555", "text": "hi"}, "to"), ({"to": "+15551234567"}, "text"),
     ({"to": "+15551234567", "text": "hi", "colour": "red"}, "colour"), ({"to": "+15551234567", "type": "sticker"}, "type"),
     ({"to": "+15551234567", "type": "template", "template": {"name": "Bad Name"}}, "template"),
     ({"to": "+15551234567", "text": "hi", "messageId": "bad id with spaces"}, "messageId")],
)  # fmt: skip
def test_a_malformed_body_is_a_400_naming_the_field(wa: Server, body: Dict[str, Any], field: str) -> None:
    assert envelope(send(wa, body), 400, "VALIDATION_ERROR")["details"]["field"] == field


def test_an_agents_text_goes_out_is_recorded_and_joins_the_conversation(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id = new_wa_id()
    answer = send(
        wa,
        {"to": f"+{wa_id}", "type": "text", "text": "Your refund is on its way.", "messageId": f"m-{wa_id}"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (
        body["status"] == "sent"
        and body["messageId"].startswith("wamid.")
        and body["conversationId"] == f"whatsapp:{wa_id}"
    )
    [sent] = graph.sent(wa_id)
    assert sent["text"]["body"] == "Your refund is on its way."
    [row] = rows(pg_database, f"whatsapp:{wa_id}")
    assert (row["author"], row["status"], row["wamid"]) == ("agent:agent-7", "sent", body["messageId"])
    again = send(
        wa,
        {
            "conversation_id": f"whatsapp:{wa_id}",
            "text": "Your refund is on its way.",
            "messageId": f"m-{wa_id}",
        },
    )
    assert again.headers.get("X-Replayed") == "true" and again.json()["messageId"] == body["messageId"]
    assert len(graph.sent(wa_id)) == 1, "a retried request sends nothing twice"
    events = requests.get(f"{wa.url}/conversations/whatsapp:{wa_id}/tracker", timeout=30).json()["events"]
    [bot] = [e for e in events if e["event"] == "bot"]
    assert (
        bot["text"] == "Your refund is on its way." and bot["metadata"]["webchat_sender"]["id"] == "agent-7"
    )


def test_templates_go_out_as_templates(wa: Server, graph: FakeGraph) -> None:
    wa_id = new_wa_id()
    template = {
        "name": "order_update",
        "language": "en_GB",
        "components": [{"type": "body", "parameters": []}],
    }
    assert send(wa, {"to": wa_id, "type": "template", "template": template}).status_code == 200
    [sent] = graph.sent(wa_id)
    assert sent["type"] == "template" and sent["template"]["language"] == {"code": "en_GB"}


def test_outside_the_24_hour_window_the_agent_is_told_and_the_template_goes(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 131047)
    error = envelope(send(wa, {"to": wa_id, "text": "Are you still there?"}), 409, "OUTSIDE_SERVICE_WINDOW")
    assert error["details"]["template_sent"] is True and error["details"]["meta_error"]["code"] == 131047
    assert [m["type"] for m in graph.sent(wa_id)] == ["text", "template"]
    assert graph.sent(wa_id)[1]["template"]["name"] == TEMPLATE
    assert [r["status"] for r in rows(pg_database, f"whatsapp:{wa_id}")] == ["failed", "sent"]


def test_a_message_meta_keeps_refusing_is_a_502_and_recorded_failed(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id = new_wa_id()
    graph.fail_next(wa_id, 131000, times=5)
    error = envelope(send(wa, {"to": wa_id, "text": "hello"}), 502, "WHATSAPP_SEND_FAILED")
    assert error["details"]["meta_error"]["code"] == 131000 and len(graph.sent(wa_id)) == 5
    [row] = rows(pg_database, f"whatsapp:{wa_id}")
    assert row["status"] == "failed" and row["attempts"] == 5


def test_the_conversation_models_delivery_endpoint_sends_an_agents_reply(
    wa: Server, graph: FakeGraph
) -> None:
    """``POST /webhooks/whatsapp/conversations/<id>/messages`` with ``{"content"}``: how the admin
    API's handoff delivers an agent's reply on WhatsApp (assistant/conversations/delivery.py)."""
    wa_id = new_wa_id()
    url = f"{wa.url}/webhooks/whatsapp/conversations/whatsapp:{wa_id}/messages"
    headers = {"Authorization": f"Bearer {token('agent-7', 'agent', name='Alice')}"}
    answer = requests.post(url, json={"content": "Hi, Alice here."}, headers=headers, timeout=60)
    assert answer.status_code == 201, answer.text
    data = answer.json()["data"]
    assert data["conversation_id"] == f"whatsapp:{wa_id}" and data["content"] == "Hi, Alice here."
    assert [m["text"]["body"] for m in graph.sent(wa_id)] == ["Hi, Alice here."]
    refused = requests.post(url, json={"content": ""}, headers=headers, timeout=60)
    assert refused.status_code == 400 and refused.json()["error"]["details"]["field"] == "content"
    anonymous = requests.post(url, json={"content": "x"}, timeout=60)
    assert anonymous.status_code == 401
