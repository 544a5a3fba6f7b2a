"""Memory, session context and personalization endpoints over real HTTP (SQLite and
PostgreSQL): staff store, read, change and delete customers' memories; read a session's context;
see profiles, record behaviour, define segments, get recommendations; GDPR covers memories."""

from __future__ import annotations

import uuid

from tests.admin_api import events as ev
from tests.admin_api.conftest import JANE_EMAIL, Api, StackApi
from tests.admin_api.server import data
from tests.admin_api.test_auth import sign_up
from tests.integration.conftest import say, texts


def test_staff_store_read_change_and_delete_memories(api: Api) -> None:
    body = {"userId": "1", "type": "long_term", "key": "order_preferences",
            "value": {"preferred_shipping": "express", "previous_orders": ["SKU123"]},
            "metadata": {"importance": 0.8, "source": "conversation"}}  # fmt: skip
    stored = data(api.agent.post("/api/memory/memories", body), 201)
    assert stored["status"] == "stored" and stored["id"].startswith("mem-") and stored["type"] == "long_term"
    jane_account = api.accounts[JANE_EMAIL].id
    by_user = data(api.admin.get(f"/api/memory/memories/{jane_account}"))
    assert [m["key"] for m in by_user["memories"]] == [
        "order_preferences"
    ], "an account id names its customer"
    one = data(api.agent.get(f"/api/memory/memories/{stored['id']}"))
    assert one["value"]["preferred_shipping"] == "express" and one["metadata"]["importance"] == 0.8
    listed = api.agent.get("/api/memory/memories", params={"user_id": "1", "type": "long_term"})
    assert [m["id"] for m in data(listed)] == [stored["id"]] and listed.json()["meta"]["pagination"][
        "total"
    ] == 1
    changed = data(api.agent.put(f"/api/memory/memories/{stored['id']}",
                                 {"value": "standard", "metadata": {"importance": 0.3}}))  # fmt: skip
    assert changed["value"] == "standard" and changed["metadata"]["importance"] == 0.3
    again = data(api.agent.post("/api/memory/memories", {**body, "value": "express"}), 201)
    assert again["id"] == stored["id"], "one value per customer and key"
    data(api.agent.delete(f"/api/memory/memories/{stored['id']}"))
    assert api.agent.get(f"/api/memory/memories/{stored['id']}").status_code == 404


def test_bad_memory_requests_get_4xx_envelopes(api: Api) -> None:
    assert api.customer.get("/api/memory/memories").status_code == 403
    assert api.agent.post("/api/memory/memories", {"userId": "1", "key": "k"}).status_code == 422
    assert (
        api.agent.post("/api/memory/memories", {"userId": "1", "key": "k", "value": None}).status_code == 422
    )
    assert (
        api.agent.post("/api/memory/memories", {"userId": "99999", "key": "k", "value": 1}).status_code == 404
    )
    assert api.agent.put("/api/memory/memories/not-a-memory", {"value": 1}).status_code == 404
    assert api.agent.delete("/api/memory/memories/mem-999999").status_code == 404
    bad = api.agent.post("/api/memory/memories", {"userId": "1", "key": "k", "value": 1,
                                                  "metadata": {"importance": 2}})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["success"] is False


def test_a_session_s_context_shows_recent_turns_entities_and_intent(api: Api) -> None:
    sender = f"web-{uuid.uuid4().hex[:8]}"
    asked = ev.user(
        "where is order 48213", "order_status", 0.95, "webchat", ev.signed_in(api.settings, sender, 1)
    )
    asked["parse_data"]["entities"] = [{"entity": "order_id", "value": "48213"}]
    ev.write(api.settings, sender, [{"event": "session_started"}, asked,
                                    {"event": "slot", "name": "customer_id", "value": 1},
                                    {"event": "slot", "name": "verification", "value": "verified"},
                                    {"event": "slot", "name": "session_started_metadata", "value": {"x": 1}},
                                    ev.bot("Order 48213 shipped with UPS.")])  # fmt: skip
    found = data(api.agent.get(f"/api/core/sessions/{sender}/context"))
    context = found["context"]
    assert found["sessionId"] == sender and found["userId"] == "1" and found["verification"] == "verified"
    assert [t["role"] for t in context["conversation_history"]] == ["user", "assistant"]
    assert context["entities"] == {"order_id": "48213"} and context["intent"] == "order_status"
    assert "session_started_metadata" not in context["slots"] and context["slots"]["customer_id"] == 1
    assert api.agent.get("/api/core/sessions/nobody-here/context").status_code == 404
    assert api.customer.get(f"/api/core/sessions/{sender}/context").status_code == 403
    down = api.agent.post(f"/api/core/sessions/{sender}/reset")
    assert down.status_code == 503, "the Rasa server of this fixture is unreachable: 503, never 500"


def test_profiles_events_segments_and_recommendations(api: Api) -> None:
    profile = data(api.agent.get("/api/personalization/user-profile/1"))
    assert profile["profile"]["tier"] == "premium" and profile["profile"]["priority_support"] is True
    assert "premium_customers" in {s["segment_id"] for s in profile["segments"]}
    for score in (0.4, -0.6, -0.7, -0.8):
        data(api.agent.post("/api/personalization/behavior-event", {
            "user_id": "1", "event_type": "conversation_action", "timestamp": "2026-11-26T09:00:00Z",
            "event_data": {"action": "message_sent", "intent": "billing_issue", "sentiment_score": score}}), 201)  # fmt: skip
    segment = {"segment_name": "Billing Watch", "criteria": {"logic": "AND", "rules": [
        {"field": "topics", "operator": "contains", "value": "billing"},
        {"field": "customer_tier", "operator": "in", "value": ["premium", "enterprise"]}]}}  # fmt: skip
    assert (
        data(api.admin.post("/api/personalization/segmentation", segment), 201)["segment_id"]
        == "billing_watch"
    )
    profile = data(api.agent.get("/api/personalization/user-profile/1"))
    assert profile["profile"]["preferences"]["topics"][0] == "billing"
    assert {"billing_watch", "at_risk"} <= {s["segment_id"] for s in profile["segments"]}
    assert profile["insights"]["satisfaction_trend"] == "declining"
    omar = data(api.agent.get("/api/personalization/user-profile/2"))
    assert "billing_watch" not in {s["segment_id"] for s in omar["segments"]}
    recs = data(api.agent.post("/api/personalization/recommendations",
                               {"user_id": "1", "context": {"recent_topics": ["returns"], "user_mood": "frustrated"}}))  # fmt: skip
    titles = [r["title"] for r in recs["recommendations"]]
    assert titles[0] == "Talk to a person" and "Start a return" in titles and "Billing FAQ" in titles
    assert "billing_watch" in {s["segment_id"] for s in data(api.agent.get("/api/personalization/segments"))}


def test_bad_personalization_requests_get_4xx_envelopes(api: Api) -> None:
    bad_rule = {"segment_name": "X", "criteria": {"rules": [{"field": "a", "operator": "~", "value": 1}]}}
    assert api.admin.post("/api/personalization/segmentation", bad_rule).status_code == 422
    assert api.agent.get("/api/personalization/user-profile/424242").status_code == 404
    assert api.agent.post("/api/personalization/behavior-event", {"user_id": "1"}).status_code == 422
    assert api.customer.post("/api/personalization/recommendations", {"user_id": "1"}).status_code == 403


def test_gdpr_export_has_the_memories_and_erase_removes_them(api: Api) -> None:
    email = f"remembered-{uuid.uuid4().hex[:6]}@example.org"
    user = sign_up(api, email, "Remembered Customer")["user"]
    cid = str(user["customer_id"])
    data(api.agent.post("/api/memory/memories", {"userId": cid, "key": "name", "value": "Rem"}), 201)
    data(api.agent.post("/api/personalization/behavior-event",
                        {"user_id": cid, "event_type": "conversation_action", "event_data": {"intent": "faq"}}), 201)  # fmt: skip
    exported = data(api.admin.get(f"/api/admin/users/{user['id']}/export"))
    assert [m["key"] for m in exported["memories"]] == ["name"] and len(exported["behavior_events"]) == 1
    audit = data(api.admin.post(f"/api/admin/users/{user['id']}/erase"))["audit"]
    assert audit["details"]["memories"] == 1 and audit["details"]["behavior_events"] == 1
    assert data(api.agent.get("/api/memory/memories", params={"user_id": cid})) == []


def test_a_session_reset_goes_through_rasa_and_clears_the_context(stack_api: StackApi) -> None:
    api, rasa = stack_api.api, stack_api.rasa
    sender = f"it-{uuid.uuid4().hex[:10]}"
    say(rasa, sender, "where is my order 48213?")
    before = data(api.agent.get(f"/api/core/sessions/{sender}/context"))["context"]
    assert before["intent"] == "order_status" and before["conversation_history"][0]["role"] == "user"
    reset = data(api.agent.post(f"/api/core/sessions/{sender}/reset"))
    assert reset == {"status": "success", "message": "Session context has been reset", "sessionId": sender,
                     "remembered": []}  # fmt: skip
    after = data(api.agent.get(f"/api/core/sessions/{sender}/context"))["context"]
    assert after["conversation_history"] == [] and after["intent"] is None and after["entities"] == {}
    assert "How can I help" in texts(say(rasa, sender, "hello")).replace("What can I do", "How can I help")
