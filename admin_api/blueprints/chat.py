"""``/api/chat/conversations``: a signed-in customer's own conversations on every channel:
list, read (messages from the tracker store), start, write (the assistant's reply comes back
in the answer), close, delete."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api import chat_service, conversation_views
from admin_api.blueprints.access import CUSTOMERS
from admin_api.envelope import pagination
from admin_api.handoff_service import perform
from admin_api.routing import Call, endpoint
from admin_api.schemas import PAGE_QUERY, obj, string
from assistant.conversations import handoff, registry
from assistant.conversations.lifecycle import STATUSES

CONTENT = string(1, 2000, pattern=r"\S")
START = obj(
    {"title": string(0, 200), "message": CONTENT, "priority": string(0, 20), "category": string(0, 40)}
)
PATH = "/api/chat/conversations/<conversation_id:str>"


def blueprint() -> Blueprint:
    bp = Blueprint("chat")

    @endpoint(bp, "GET", "/api/chat/conversations", summary="Your conversations, on every channel", access=CUSTOMERS,
              query={**PAGE_QUERY, "status": string(enum=STATUSES), "search": string(1, 100)})  # fmt: skip
    async def list_mine(call: Call) -> HTTPResponse:
        s, q = call.services, call.query
        await s.synced()
        page, limit = q.get("page", 1), q.get("limit", 20)
        filters = registry.Filters(status=q.get("status"), customer_id=call.principal.customer_id or -1)
        if q.get("search"):
            filters.extra.append(
                await s.run(conversation_views.search_condition, s.store, s.tracker, q["search"])
            )
        rows, total = await s.run(registry.search, s.store, filters, page, limit)
        data = await s.run(conversation_views.views, s.store, s.tracker, rows, False)
        return call.ok(data, page=pagination(page, limit, total))

    @endpoint(bp, "POST", "/api/chat/conversations", summary="Start a conversation (with a first message)",
              access=CUSTOMERS, body=START, status=201)  # fmt: skip
    async def start(call: Call) -> HTTPResponse:
        s = call.services
        conversation = await s.run(chat_service.start, s.store, call.principal, call.body.get("title"))
        turn = {}
        if call.body.get("message"):
            turn = await chat_service.post(s, call.principal, conversation, call.body["message"])
        conversation = await s.run(registry.get, s.store, conversation.id)
        data = await s.run(conversation_views.detail, s.store, s.tracker, conversation, False)
        return call.ok({**data, **turn}, 201)

    @endpoint(bp, "GET", PATH, summary="One of your conversations with its messages", access=CUSTOMERS)
    async def get_mine(call: Call) -> HTTPResponse:
        s = call.services
        await s.synced()
        conversation = await s.run(chat_service.own, s.store, call.principal, call.params["conversation_id"])
        return call.ok(await s.run(conversation_views.detail, s.store, s.tracker, conversation, False))

    @endpoint(bp, "GET", f"{PATH}/messages", summary="Messages of your conversation, oldest first", access=CUSTOMERS,
              query=PAGE_QUERY)  # fmt: skip
    async def messages(call: Call) -> HTTPResponse:
        s = call.services
        conversation = await s.run(chat_service.own, s.store, call.principal, call.params["conversation_id"])
        page, limit = call.query.get("page", 1), call.query.get("limit", 50)
        rows, total = await s.run(s.tracker.messages, conversation.id, page, limit)
        return call.ok(rows, page=pagination(page, limit, total))

    @endpoint(bp, "POST", f"{PATH}/messages", summary="Write in your conversation; the assistant's reply comes back",
              access=CUSTOMERS, body=obj({"content": CONTENT, "message_type": string(enum=["text"])}, ["content"]),
              status=201)  # fmt: skip
    async def post_message(call: Call) -> HTTPResponse:
        s = call.services
        conversation = await s.run(chat_service.own, s.store, call.principal, call.params["conversation_id"])
        return call.ok(await chat_service.post(s, call.principal, conversation, call.body["content"]), 201)

    @endpoint(bp, "PUT", PATH, summary="Rename or close your conversation", access=CUSTOMERS,
              body=obj({"title": string(0, 200), "status": string(enum=["closed"])}))  # fmt: skip
    async def update_mine(call: Call) -> HTTPResponse:
        s, cid = call.services, call.params["conversation_id"]
        await s.run(chat_service.own, s.store, call.principal, cid)
        if call.body.get("status") == "closed":
            await perform(s, handoff.close, cid, call.principal.actor(), "closed by the customer")
        if "title" in call.body:
            await s.run(registry.update, s.store, cid, None, None, call.body["title"])
        conversation = await s.run(registry.get, s.store, cid)
        return call.ok(await s.run(conversation_views.detail, s.store, s.tracker, conversation, False))

    @endpoint(bp, "DELETE", PATH, summary="Delete your conversation and its messages", access=CUSTOMERS)
    async def delete_mine(call: Call) -> HTTPResponse:
        s, cid = call.services, call.params["conversation_id"]
        await s.run(chat_service.own, s.store, call.principal, cid)
        erased = await s.run(s.tracker.delete, [cid])
        await s.run(chat_service.delete, s.store, call.principal, cid)
        return call.ok({"deleted": True, "messages_erased": erased})

    return bp
