"""The handoff desk: the queue (most urgent, then oldest, first), the agents and who is signed
in, assigning a conversation (to oneself or another agent), replying on the conversation's own
channel, handing it back to the bot, closing it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api import conversation_views
from admin_api.accounts.views import when
from admin_api.blueprints.access import STAFF_READ, STAFF_WRITE
from admin_api.errors import ApiError
from admin_api.handoff_service import perform
from admin_api.routing import Call, endpoint
from admin_api.schemas import obj, string
from assistant.conversations import handoff, registry
from assistant.conversations.lifecycle import PRIORITIES
from assistant.store import Store
from assistant.store.account_models import Account
from assistant.store.models import utcnow

CONTENT = string(1, 2000, pattern=r"\S")
ASSIGN = obj({"agent_id": string(1, 64), "admin_id": string(1, 64), "priority": string(enum=PRIORITIES),
              "notes": string(0, 4000)})  # fmt: skip
ENDING = obj({"message": CONTENT, "reason": string(0, 200)})


def blueprint() -> Blueprint:
    bp = Blueprint("handoff")

    @endpoint(bp, "GET", "/api/admin/queue", summary="Conversations waiting for an agent", access=STAFF_READ)
    async def get_queue(call: Call) -> HTTPResponse:
        s = call.services
        await s.synced()
        rows = await s.run(handoff.queue, s.store)
        data = await s.run(conversation_views.views, s.store, s.tracker, rows)
        return call.ok([{**view, "queue_position": n} for n, view in enumerate(data, start=1)])

    @endpoint(bp, "GET", "/api/admin/agents", summary="Staff who can take conversations, and who is signed in",
              access=STAFF_READ)  # fmt: skip
    async def get_agents(call: Call) -> HTTPResponse:
        return call.ok(
            await call.services.run(
                _agents, call.services.store, call.services.settings.agent_presence_minutes
            )
        )

    @endpoint(bp, "PUT", "/api/admin/conversations/<conversation_id:str>/assign",
              summary="Assign to yourself (no agent_id) or another agent", access=STAFF_WRITE, body=ASSIGN)  # fmt: skip
    async def assign(call: Call) -> HTTPResponse:
        """Takes a conversation from the queue, takes over from the bot (which then stays quiet),
        or transfers it to another agent."""
        s, b, cid = call.services, call.body, call.params["conversation_id"]
        agent_id = (
            b.get("agent_id") or b.get("admin_id") or (call.principal.id if call.principal.staff else None)
        )
        if agent_id is None:
            raise ApiError(
                "Name the agent to assign (agent_id)",
                {"field": "agent_id"},
                code="VALIDATION_ERROR",
                status=422,
            )
        await s.run(_staff_member, s.store, agent_id)
        await perform(s, handoff.assign, cid, agent_id, call.principal.actor(), b.get("priority"))
        if b.get("notes"):
            await s.run(registry.add_note, s.store, cid, call.principal.actor(), b["notes"])
        return await _answer(call, cid)

    @endpoint(bp, "POST", "/api/admin/conversations/<conversation_id:str>/messages",
              summary="Reply to the customer on the conversation's channel", access=STAFF_WRITE,
              body=obj({"content": CONTENT}, ["content"]), status=201)  # fmt: skip
    async def reply(call: Call) -> HTTPResponse:
        """Web chat: the customer's socket gets it at once; REST: kept in the tracker for the
        next answer; by e-mail when the customer chose it. A queued conversation becomes yours."""
        s, cid = call.services, call.params["conversation_id"]
        await s.run(registry.get, s.store, cid)
        message = await perform(s, handoff.agent_reply, cid, call.principal.actor(),
                                message=call.body["content"], agent=call.principal)  # fmt: skip
        return call.ok(message, 201)

    @endpoint(bp, "POST", "/api/admin/conversations/<conversation_id:str>/handback",
              summary="Hand the conversation back to the bot", access=STAFF_WRITE, body=ENDING)  # fmt: skip
    async def hand_back(call: Call) -> HTTPResponse:
        """Rasa's ``resume``: the bot answers the customer's next message; ``message`` goes out first."""
        s, cid, b = call.services, call.params["conversation_id"], call.body
        await perform(s, handoff.hand_back, cid, call.principal.actor(), b.get("reason") or "handed back",
                      message=b.get("message"), agent=call.principal)  # fmt: skip
        return await _answer(call, cid)

    @endpoint(bp, "POST", "/api/admin/conversations/<conversation_id:str>/close", summary="Close the conversation",
              access=STAFF_WRITE, body=ENDING)  # fmt: skip
    async def close(call: Call) -> HTTPResponse:
        s, cid, b = call.services, call.params["conversation_id"], call.body
        await perform(s, handoff.close, cid, call.principal.actor(), b.get("reason") or "closed",
                      message=b.get("message"), agent=call.principal)  # fmt: skip
        return await _answer(call, cid)

    return bp


async def _answer(call: Call, conversation_id: str) -> HTTPResponse:
    s = call.services
    conversation = await s.run(registry.get, s.store, conversation_id)
    return call.ok(await s.run(conversation_views.detail, s.store, s.tracker, conversation))


def _staff_member(store: Store, account_id: str) -> None:
    with store.session() as s:
        account = s.get(Account, account_id)
    if account is None or account.role not in ("admin", "agent") or account.status != "active":
        raise ApiError(
            "No active agent has this id", {"field": "agent_id"}, code="AGENT_NOT_FOUND", status=422
        )


def _agents(store: Store, minutes: int) -> list:
    since = utcnow() - timedelta(minutes=minutes)
    with store.session() as s:
        rows = s.scalars(sa.select(Account).where(Account.role.in_(("admin", "agent")), Account.status == "active")
                         .order_by(Account.name))  # fmt: skip
        return [{"id": a.id, "name": a.name, "role": a.role, "last_seen_at": when(a.last_seen_at),
                 "online": bool(a.last_seen_at and a.last_seen_at >= since
                                and (a.signed_out_at is None or a.signed_out_at < a.last_seen_at))} for a in rows]  # fmt: skip
