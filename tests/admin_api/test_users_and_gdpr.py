"""Users for admins (filters, counts, create, update, deactivate, guards) and GDPR export and
erasure (tracker events included, with an audit record), over HTTP on SQLite and PostgreSQL;
customers only ever see their own conversations."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from assistant.conversations.tracker_events import TrackerEvents
from assistant.store.conversation_models import Conversation
from assistant.store.models import ChannelIdentity, Customer
from tests.admin_api import events as ev
from tests.admin_api.conftest import ADMIN_EMAIL, JANE_EMAIL, PASSWORD, Api
from tests.admin_api.server import data
from tests.admin_api.test_auth import sign_up


def test_admins_list_users_with_filters_counts_and_pages(api: Api) -> None:
    answer = api.admin.get("/api/admin/users", params={"role": "agent", "limit": 5})
    users = data(answer)
    assert users and all(u["role"] == "agent" for u in users)
    meta = answer.json()["meta"]
    assert meta["pagination"]["limit"] == 5 and meta["summary"]["total_users"] >= 3
    assert meta["summary"]["admins"] >= 1 and "new_users_week" in meta["summary"]
    found = data(api.admin.get("/api/admin/users", params={"search": "JANE"}))
    assert [u["email"] for u in found] == [JANE_EMAIL]
    assert data(api.admin.get("/api/admin/users", params={"date_from": "2999-01-01T00:00:00Z"})) == []
    assert api.admin.get("/api/admin/users", params={"date_from": "yesterday"}).status_code == 422


def test_admins_create_update_and_deactivate_users(api: Api) -> None:
    email = f"agent-{uuid.uuid4().hex[:6]}@test.example"
    created = data(api.admin.post("/api/admin/users", {"email": email, "name": "Bo", "role": "agent",
                                                       "password": PASSWORD}), 201)  # fmt: skip
    assert api.admin.post("/api/admin/users", {"email": email, "name": "Bo", "role": "agent",
                                               "password": PASSWORD}).status_code == 409  # fmt: skip
    token = data(api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD}))["token"][
        "access_token"
    ]
    updated = data(
        api.admin.put(f"/api/admin/users/{created['id']}", {"name": "Bo B", "notes": "night shift"})
    )
    assert (updated["name"], updated["notes"]) == ("Bo B", "night shift")
    assert data(api.admin.get(f"/api/admin/users/{created['id']}"))["name"] == "Bo B"
    assert api.admin.put(f"/api/admin/users/{created['id']}", {"role": "customer"}).status_code == 409
    data(api.admin.delete(f"/api/admin/users/{created['id']}"))
    assert api.client(token).get("/api/auth/profile").status_code == 401, "a deactivated user is signed out"
    assert api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD}).status_code == 403


def test_an_admin_cannot_lock_everyone_out(api: Api) -> None:
    me = api.accounts[ADMIN_EMAIL].id
    assert api.admin.put(f"/api/admin/users/{me}", {"role": "agent"}).json()["error"]["code"] in (
        "SELF_CHANGE_NOT_ALLOWED", "LAST_ADMIN")  # fmt: skip
    assert api.admin.delete(f"/api/admin/users/{me}").status_code == 409
    assert api.admin.post(f"/api/admin/users/{me}/erase").status_code == 409
    assert api.admin.get("/api/admin/users/nobody").status_code == 404


def test_customers_see_their_own_conversations_on_every_channel_and_never_others(api: Api) -> None:
    mine, theirs = f"web-{uuid.uuid4().hex[:8]}", f"web-{uuid.uuid4().hex[:8]}"
    ev.write(api.settings, mine, [ev.user("hi", "greet", 0.9, "webchat", ev.signed_in(api.settings, mine, 1)),
                                  ev.bot("Hello Jane")])  # fmt: skip
    ev.write(api.settings, theirs, [ev.user("hi", "greet", 0.9, "webchat", ev.signed_in(api.settings, theirs, 2)),
                                    ev.bot("Hello Omar")])  # fmt: skip
    listed = [c["id"] for c in data(api.customer.get("/api/chat/conversations", params={"limit": 100}))]
    assert mine in listed and theirs not in listed
    detail = data(api.customer.get(f"/api/chat/conversations/{mine}"))
    assert [m["content"] for m in detail["messages"]] == ["hi", "Hello Jane"] and "transcript" not in detail
    for path in (f"/api/chat/conversations/{theirs}", f"/api/chat/conversations/{theirs}/messages"):
        assert api.customer.get(path).status_code == 404
    assert api.customer.delete(f"/api/chat/conversations/{theirs}").status_code == 404
    assert (
        api.customer.post(f"/api/chat/conversations/{theirs}/messages", {"content": "x"}).status_code == 404
    )
    page = api.customer.get(f"/api/chat/conversations/{mine}/messages", params={"limit": 1})
    assert len(data(page)) == 1 and page.json()["meta"]["pagination"]["total"] == 2
    deleted = data(api.customer.delete(f"/api/chat/conversations/{mine}"))
    assert (
        deleted["messages_erased"] == 2
        and api.customer.get(f"/api/chat/conversations/{mine}").status_code == 404
    )


def test_gdpr_export_returns_everything_stored_about_a_person(api: Api) -> None:
    jane = api.accounts[JANE_EMAIL]
    exported = data(api.admin.get(f"/api/admin/users/{jane.id}/export"))
    assert exported["account"]["email"] == JANE_EMAIL and "password_hash" not in exported["account"]
    assert exported["customer"]["name"] == "Jane Doe" and {o["id"] for o in exported["orders"]} >= {
        48213,
        10001,
    }
    assert any(i["external_id"] == "customer-1" for i in exported["channel_identities"])
    audit = data(api.admin.get("/api/admin/audit"))
    assert audit[0]["action"] == "export" and audit[0]["subject_account_id"] == jane.id


def test_gdpr_erase_removes_the_person_and_their_tracker_events_and_leaves_an_audit_record(api: Api) -> None:
    email = f"leaving-{uuid.uuid4().hex[:6]}@example.org"
    user = sign_up(api, email, "Leaving Customer")["user"]
    conversation = f"web-{uuid.uuid4().hex[:8]}"
    ev.write(api.settings, conversation, [ev.user("my address is 1 Secret Lane", "inform", 0.8, "webchat",
                                                  ev.signed_in(api.settings, conversation, user["customer_id"]))])  # fmt: skip
    assert any(
        c["id"] == conversation
        for c in data(api.admin.get("/api/admin/conversations", params={"limit": 100}))
    )
    erased = data(api.admin.post(f"/api/admin/users/{user['id']}/erase"))
    audit = erased["audit"]
    assert audit["actor_id"] == api.accounts[ADMIN_EMAIL].id and audit["subject_account_id"] == user["id"]
    assert audit["details"]["tracker_events"] == 1 and audit["details"]["memories"] == 0
    assert email not in str(audit)
    tracker = TrackerEvents(api.settings.tracker_store_url)
    assert tracker.transcript(conversation) == []
    tracker.close()
    with api.store.session() as s:
        customer = s.get(Customer, user["customer_id"])
        assert customer.email != email and customer.name == "Erased customer"
        assert s.get(Conversation, conversation) is None
        assert not s.scalars(
            sa.select(ChannelIdentity).where(ChannelIdentity.customer_id == user["customer_id"])
        ).all()
    assert api.admin.get(f"/api/admin/users/{user['id']}").status_code == 404
    assert api.anonymous.post("/api/auth/login", {"email": email, "password": PASSWORD}).status_code == 401
    assert data(api.admin.get("/api/admin/audit"))[0]["action"] == "erase"
