"""``/api/core/sessions/:id``: a conversation's short-term memory (seed 001, Chatbot Core API):
its current session's context from the tracker store, and a reset through Rasa's HTTP API (the
session is summarised into the verified customer's long-term memory first)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.blueprints.access import SESSIONS_READ, SESSIONS_WRITE
from admin_api.memory_service import session_events, summarise_before_reset
from admin_api.routing import Call, endpoint
from admin_api.schemas import integer
from assistant.memory.context import session_context


def blueprint() -> Blueprint:
    bp = Blueprint("sessions")

    @endpoint(bp, "GET", "/api/core/sessions/<session_id:str>/context", summary="A session's current context",
              access=SESSIONS_READ, query={"turns": integer(1, 100, "recent turns to show (20)")})  # fmt: skip
    async def session_context_view(call: Call) -> HTTPResponse:
        """Recent turns, entities, slots (not proofs or claims) and the current intent."""
        s, cid = call.services, call.params["session_id"]
        events = await s.run(session_events, s, cid)
        return call.ok(session_context(cid, events, call.query.get("turns", 20)))

    @endpoint(bp, "POST", "/api/core/sessions/<session_id:str>/reset", summary="Reset a session's context",
              access=SESSIONS_WRITE)  # fmt: skip
    async def reset_session(call: Call) -> HTTPResponse:
        """Appends a ``restart`` to the tracker (Rasa's HTTP API): the next message starts a new
        session. What the session showed about a verified customer is kept in their memory."""
        s, cid = call.services, call.params["session_id"]
        events = await s.run(session_events, s, cid)
        written = await s.run(summarise_before_reset, s, cid, events)
        await s.rasa.append_events(cid, [{"event": "restart"}])
        return call.ok({"status": "success", "message": "Session context has been reset", "sessionId": cid,
                        "remembered": sorted(written)})  # fmt: skip

    return bp
