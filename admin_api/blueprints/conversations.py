"""``/api/admin/conversations``: every conversation of every channel for staff: filters, detail
with the transcript, status (the life cycle; 409 for a change it does not allow), priority,
tags, title and notes."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api import conversation_views
from admin_api.blueprints.access import STAFF_READ, STAFF_WRITE
from admin_api.envelope import pagination
from admin_api.handoff_service import perform
from admin_api.routing import Call, endpoint
from admin_api.schemas import PAGE_QUERY, array, obj, string
from assistant.conversations import handoff, registry
from assistant.conversations.lifecycle import PRIORITIES, STATUSES

TAG = string(1, 40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")
LIST_QUERY = {**PAGE_QUERY, "status": string(enum=STATUSES), "channel": string(1, 20), "assignee": string(1, 64),
              "priority": string(enum=PRIORITIES), "tag": TAG, "search": string(1, 100),
              "date_from": string(fmt="date-time"), "date_to": string(fmt="date-time")}  # fmt: skip
UPDATE = obj({"status": string(enum=STATUSES), "priority": string(enum=PRIORITIES), "tags": array(TAG, 20),
              "title": string(0, 200), "reason": string(0, 200)})  # fmt: skip


def blueprint() -> Blueprint:
    bp = Blueprint("conversations")

    @endpoint(bp, "GET", "/api/admin/conversations", summary="All conversations, with filters",
              access=STAFF_READ, query=LIST_QUERY)  # fmt: skip
    async def list_conversations(call: Call) -> HTTPResponse:
        """``assignee``: an account id, ``me``, or ``none`` (the bot's); ``search``: in ids,
        titles, customers' names and e-mails, and every message."""
        s, q = call.services, call.query
        await s.synced()
        page, limit = q.get("page", 1), q.get("limit", 20)
        assignee = call.principal.id if q.get("assignee") == "me" else q.get("assignee")
        filters = registry.Filters(q.get("status"), q.get("channel"), assignee, q.get("priority"), q.get("tag"),
                                   q.get("date_from"), q.get("date_to"))  # fmt: skip
        if q.get("search"):
            filters.extra.append(
                await s.run(conversation_views.search_condition, s.store, s.tracker, q["search"])
            )
        rows, total = await s.run(registry.search, s.store, filters, page, limit)
        data = await s.run(conversation_views.views, s.store, s.tracker, rows)
        return call.ok(data, page=pagination(page, limit, total))

    @endpoint(bp, "GET", "/api/admin/conversations/<conversation_id:str>", summary="A conversation with its transcript",
              access=STAFF_READ)  # fmt: skip
    async def get_conversation(call: Call) -> HTTPResponse:
        """User and bot messages with intents and confidence, actions, agents' messages, notes,
        every status change with who and when."""
        s = call.services
        await s.synced()
        conversation = await s.run(registry.get, s.store, call.params["conversation_id"])
        return call.ok(await s.run(conversation_views.detail, s.store, s.tracker, conversation))

    @endpoint(bp, "PUT", "/api/admin/conversations/<conversation_id:str>",
              summary="Change status, priority, tags or title", access=STAFF_WRITE, body=UPDATE)  # fmt: skip
    async def update_conversation(call: Call) -> HTTPResponse:
        """A status follows the life cycle (``active``, ``pending``, ``waiting``, ``transferred``,
        ``closed``): a change it does not allow is refused with 409; the bot is paused or
        resumed to match."""
        s, b, cid = call.services, call.body, call.params["conversation_id"]
        await s.run(registry.get, s.store, cid)
        if "status" in b:
            await perform(
                s, handoff.set_status, cid, b["status"], call.principal.actor(), b.get("reason", "")
            )
        await s.run(registry.update, s.store, cid, b.get("priority"), b.get("tags"), b.get("title"))
        conversation = await s.run(registry.get, s.store, cid)
        return call.ok(await s.run(conversation_views.detail, s.store, s.tracker, conversation))

    @endpoint(bp, "POST", "/api/admin/conversations/<conversation_id:str>/notes", summary="Add an internal note",
              access=STAFF_WRITE, body=obj({"content": string(1, 4000, pattern=r"\S")}, ["content"]), status=201)  # fmt: skip
    async def add_note(call: Call) -> HTTPResponse:
        s = call.services
        note = await s.run(registry.add_note, s.store, call.params["conversation_id"], call.principal.actor(),
                           call.body["content"])  # fmt: skip
        return call.ok({"id": note.id, "conversation_id": note.conversation_id, "content": note.body,
                        "author": {"id": note.author_id, "name": note.author_name}}, 201)  # fmt: skip

    return bp
