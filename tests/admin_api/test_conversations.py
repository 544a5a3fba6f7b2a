"""Conversations of every channel for staff, over HTTP on SQLite and PostgreSQL, read from the
tracker store: filters, transcript, the life cycle (409 for what it does not allow), tags,
priority, notes, the queue, and nothing changed when the Rasa server cannot be reached."""

from __future__ import annotations

import time
import uuid

from tests.admin_api import events as ev
from tests.admin_api.conftest import Api
from tests.admin_api.server import data


def rest_conversation(api: Api, text: str = "where is my order 48213", paused: bool = False) -> str:
    sender = f"rest-{uuid.uuid4().hex[:10]}"
    written = [ev.action("action_session_start"), ev.user(text), ev.action("action_order_status"),
               ev.bot("It shipped with UPS.")]  # fmt: skip
    if paused:
        written += [ev.user("I want a human", "request_human", 0.99), ev.action("action_handoff"),
                    ev.bot("I'm connecting you with a member of our support team."), {"event": "pause"}]  # fmt: skip
    ev.write(api.settings, sender, written, start=time.time() - 5)
    return sender


def test_staff_see_every_channel_with_counts_last_message_and_filters(api: Api) -> None:
    sender = rest_conversation(api, "my parcel never arrived zebra")
    listed = data(api.agent.get("/api/admin/conversations", params={"channel": "rest", "limit": 100}))
    mine = next(c for c in listed if c["id"] == sender)
    assert mine["channel"] == "rest" and mine["status"] == "active" and mine["message_count"] == 2
    assert mine["last_message"]["content"] == "It shipped with UPS." and mine["title"].startswith("my parcel")
    found = data(api.agent.get("/api/admin/conversations", params={"search": "zebra"}))
    assert [c["id"] for c in found] == [sender]
    answer = api.agent.get("/api/admin/conversations", params={"limit": 1})
    assert answer.json()["meta"]["pagination"]["limit"] == 1 and len(answer.json()["data"]) == 1
    assert api.agent.get("/api/admin/conversations", params={"limit": 101}).status_code == 422
    assert (
        data(api.agent.get("/api/admin/conversations", params={"status": "closed", "search": "zebra"})) == []
    )


def test_the_detail_has_the_transcript_with_intents_confidence_actions_and_agents(api: Api) -> None:
    sender = f"web-{uuid.uuid4().hex[:10]}"
    ev.write(api.settings, sender, [
        ev.user("hello", "greet", 0.88, "webchat", ev.signed_in(api.settings, sender, 1)), ev.action("utter_greet"),
        ev.bot("Hi! How can I help?"), ev.bot("Alice here.", {"id": "a1", "name": "Alice", "role": "agent"})])  # fmt: skip
    detail = data(api.agent.get(f"/api/admin/conversations/{sender}"))
    kinds = [
        (e["type"], e.get("intent") or e.get("action") or e.get("content")) for e in detail["transcript"]
    ]
    assert kinds == [
        ("user", "greet"),
        ("action", "utter_greet"),
        ("bot", "Hi! How can I help?"),
        ("agent", "Alice here."),
    ]
    assert detail["transcript"][0]["confidence"] == 0.88
    assert (
        detail["customer"]["name"] == "Jane Doe" and detail["channel"] == "webchat"
    ), "from the signed claim"


def test_the_life_cycle_refuses_invalid_changes_with_409(api: Api) -> None:
    sender = rest_conversation(api)
    data(api.agent.get("/api/admin/conversations"))  # reads the tracker store
    waiting = api.agent.put(f"/api/admin/conversations/{sender}", {"status": "waiting"})
    assert waiting.status_code == 409 and waiting.json()["error"]["code"] == "CONFLICT"
    closed = data(
        api.agent.put(f"/api/admin/conversations/{sender}", {"status": "closed", "reason": "solved"})
    )
    assert closed["status"] == "closed" and closed["history"][-1]["to"] == "closed"
    assert closed["history"][-1]["by"]["id"] == api.accounts["agent@test.example"].id
    again = api.agent.put(f"/api/admin/conversations/{sender}", {"status": "active"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVALID_TRANSITION"
    assert api.agent.put(f"/api/admin/conversations/{sender}/assign", {}).status_code == 409


def test_tags_priority_title_and_notes(api: Api) -> None:
    sender = rest_conversation(api)
    data(api.agent.get("/api/admin/conversations"))
    updated = data(api.agent.put(f"/api/admin/conversations/{sender}",
                                 {"priority": "high", "tags": ["Billing", "vip"], "title": "Refund"}))  # fmt: skip
    assert (updated["priority"], updated["tags"], updated["title"]) == ("high", ["billing", "vip"], "Refund")
    data(api.agent.post(f"/api/admin/conversations/{sender}/notes", {"content": "Call back Monday"}), 201)
    detail = data(api.admin.get(f"/api/admin/conversations/{sender}"))
    assert (
        detail["notes"][0]["content"] == "Call back Monday"
        and detail["notes"][0]["author"]["name"] == "Alice Agent"
    )
    assert [c["id"] for c in data(api.agent.get("/api/admin/conversations", params={"tag": "vip"}))] == [
        sender
    ]
    assert api.agent.put(f"/api/admin/conversations/{sender}", {"priority": "whenever"}).status_code == 422
    assert api.agent.get("/api/admin/conversations/no-such-conversation").status_code == 404


def test_the_queue_puts_the_most_urgent_then_the_oldest_first(api: Api) -> None:
    first, second = rest_conversation(api, paused=True), rest_conversation(api, paused=True)
    queue = [c["id"] for c in data(api.agent.get("/api/admin/queue"))]
    assert queue.index(first) < queue.index(second)
    data(api.agent.put(f"/api/admin/conversations/{second}", {"priority": "urgent"}))
    queue = data(api.agent.get("/api/admin/queue"))
    assert queue[0]["id"] == second and queue[0]["queue_position"] == 1
    history = data(api.agent.get(f"/api/admin/conversations/{first}"))["history"]
    assert history[-1]["to"] == "pending" and history[-1]["by"]["type"] == "system"


def test_a_step_that_needs_the_rasa_server_changes_nothing_when_it_cannot_be_reached(api: Api) -> None:
    sender = rest_conversation(api, paused=True)
    data(api.agent.get("/api/admin/queue"))
    for call in (lambda: api.agent.post(f"/api/admin/conversations/{sender}/handback", {}),
                 lambda: api.agent.post(f"/api/admin/conversations/{sender}/messages", {"content": "Hi, Alice here"})):  # fmt: skip
        answer = call()
        assert answer.status_code == 503 and answer.headers["Retry-After"], answer.text
    detail = data(api.agent.get(f"/api/admin/conversations/{sender}"))
    assert detail["status"] == "pending" and detail["assignee"] is None


def test_agents_and_who_is_signed_in(api: Api) -> None:
    agents = {a["name"]: a for a in data(api.agent.get("/api/admin/agents"))}
    assert agents["Alice Agent"]["online"] is True and "Jane Doe" not in agents


def test_a_message_whatsapp_could_not_deliver_is_visible_to_staff(api: Api) -> None:
    from assistant.store.models import WhatsAppMessage

    sender = f"whatsapp:1555{uuid.uuid4().int % 10**7:07d}"
    ev.write(api.settings, sender, [ev.user("hi", "greet", 0.9, "whatsapp"), ev.action("utter_greet"),
                                    ev.bot("Hello!")], start=time.time() - 5)  # fmt: skip
    with api.store.session() as s:
        s.add(WhatsAppMessage(conversation_id=sender, direction="out", kind="text", author="bot", text="Hello!",
                              status="failed", error={"code": 131026, "title": "Message undeliverable"}))  # fmt: skip
    detail = data(api.agent.get(f"/api/admin/conversations/{sender}"))
    assert detail["channel"] == "whatsapp"
    assert [(m["text"], m["error"]["code"]) for m in detail["undelivered"]] == [("Hello!", 131026)]


def test_an_email_reply_refused_for_good_or_bounced_is_visible_to_staff(api: Api) -> None:
    from assistant.store.email_models import EmailBounce, EmailMessage
    from assistant.store.models import OutboundEmail, utcnow

    sender = f"email:{uuid.uuid4().hex}"
    ev.write(api.settings, sender, [ev.user("hi", "greet", 0.9, "email"), ev.action("utter_greet"),
                                    ev.bot("Hello!")], start=time.time() - 5)  # fmt: skip
    with api.store.session() as s:
        s.add(OutboundEmail(to_address="gone@customer.example", subject="Re: hi", body="Hello!", kind="email_reply",
                            conversation_id=sender, failed_at=utcnow(), last_error="SMTPRecipientsRefused: 550"))  # fmt: skip
        s.add(EmailMessage(message_id=f"{sender[6:]}@northwind.example", conversation_id=sender, direction="out",
                           address="gone@customer.example", subject="Re: hi", text="Welcome back", status="queued"))  # fmt: skip
        s.add(EmailBounce(bounce_message_id=f"b-{sender[6:]}@mx", original_message_id=f"{sender[6:]}@northwind.example",
                          conversation_id=sender, recipient="gone@customer.example", status="5.1.1"))  # fmt: skip
    detail = data(api.agent.get(f"/api/admin/conversations/{sender}"))
    assert detail["channel"] == "email"
    assert [(m["text"], m["error"]["code"]) for m in detail["undelivered"]] == [
        ("Hello!", "smtp_refused"), ("Welcome back", "bounced")]  # fmt: skip
