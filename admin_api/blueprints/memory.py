"""``/api/memory/memories``: customers' long-term memories for staff (seed 001, Memory Engine
API): list with filters, store (create or replace by key), read, change, delete. A path id is a
memory (``mem-12``), or, as in the seed, a user whose memories to list."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.blueprints.access import MEMORY_READ, MEMORY_WRITE
from admin_api.envelope import pagination
from admin_api.errors import NotFoundError
from admin_api.memory_service import resolve_customer, storable
from admin_api.routing import Call, endpoint
from admin_api.schemas import PAGE_QUERY, Schema, obj, string
from assistant.memory.store import TYPES, parse_memory_id

USER_ID = string(
    1, 64, pattern=r"^[A-Za-z0-9_.:@~-]+$", description="a customer id, or a customer's account id"
)
VALUE: Schema = {"not": {"type": "null"}, "description": "any JSON value"}
METADATA = obj({"importance": {"type": "number", "minimum": 0, "maximum": 1}, "source": string(1, 40)})
CREATE = obj({"userId": USER_ID, "type": string(enum=TYPES), "key": string(1, 80, pattern=r"^[A-Za-z0-9_.:-]+$"),
              "value": VALUE, "metadata": METADATA}, ["userId", "key", "value"])  # fmt: skip
UPDATE = obj({"type": string(enum=TYPES), "value": VALUE, "metadata": METADATA})
LIST_QUERY = {**PAGE_QUERY, "user_id": USER_ID, "type": string(enum=TYPES), "key": string(1, 80)}


def _changes(body: Dict[str, Any]) -> Dict[str, Any]:
    meta = body.get("metadata") or {}
    found = {name: body[name] for name in ("type", "value") if name in body}
    return {**found, **{name: meta[name] for name in ("importance", "source") if name in meta}}


def blueprint() -> Blueprint:
    bp = Blueprint("memory")

    @endpoint(bp, "GET", "/api/memory/memories", summary="List memories, by customer, type or key",
              access=MEMORY_READ, query=LIST_QUERY)  # fmt: skip
    async def list_memories(call: Call) -> HTTPResponse:
        s, q = call.services, call.query
        page, limit = q.get("page", 1), q.get("limit", 20)
        customer_id = await s.run(resolve_customer, s.store, q["user_id"]) if "user_id" in q else None
        items, total = await s.run(s.memories.search, customer_id, q.get("type"), q.get("key"), page, limit)
        return call.ok([item.public() for item in items], page=pagination(page, limit, total))

    @endpoint(bp, "POST", "/api/memory/memories", summary="Store a memory (replaces the customer's value for the key)",
              access=MEMORY_WRITE, body=CREATE, status=201)  # fmt: skip
    async def store_memory(call: Call) -> HTTPResponse:
        s, b = call.services, call.body
        storable(b["value"], "value")
        customer_id = await s.run(resolve_customer, s.store, b["userId"])
        meta = b.get("metadata") or {}
        item = await s.run(s.memories.remember, customer_id, b["key"], b["value"], type=b.get("type", "long_term"),
                           importance=meta.get("importance", 0.5), source=meta.get("source", "staff"))  # fmt: skip
        return call.ok({"id": f"mem-{item.id}", "status": "stored", "userId": b["userId"], "type": item.type,
                        "memory": item.public()}, 201)  # fmt: skip

    @endpoint(bp, "GET", "/api/memory/memories/<memory_id:str>", summary="A memory (mem-…), or a user's memories",
              access=MEMORY_READ, query={"type": string(enum=TYPES), "key": string(1, 80)})  # fmt: skip
    async def get_memory(call: Call) -> HTTPResponse:
        """``mem-12``: that memory. Otherwise the id names a user (seed 001's ``GET
        /memories/:userId``): their memories, filtered by ``type`` and ``key``."""
        s, ident = call.services, call.params["memory_id"]
        memory_id = parse_memory_id(ident)
        if memory_id is not None:
            return call.ok((await s.run(s.memories.get, memory_id)).public())
        customer_id = await s.run(resolve_customer, s.store, ident)
        q = call.query
        items, _ = await s.run(s.memories.search, customer_id, q.get("type"), q.get("key"), 1, 500)
        return call.ok({"userId": ident, "memories": [item.public() for item in items]})

    @endpoint(bp, "PUT", "/api/memory/memories/<memory_id:str>", summary="Change a memory's value, type or metadata",
              access=MEMORY_WRITE, body=UPDATE)  # fmt: skip
    async def update_memory(call: Call) -> HTTPResponse:
        s = call.services
        storable(call.body.get("value"), "value")
        item = await s.run(s.memories.update, _memory_id(call), _changes(call.body))
        return call.ok(item.public())

    @endpoint(
        bp, "DELETE", "/api/memory/memories/<memory_id:str>", summary="Delete a memory", access=MEMORY_WRITE
    )
    async def delete_memory(call: Call) -> HTTPResponse:
        memory_id = _memory_id(call)
        await call.services.run(call.services.memories.delete, memory_id)
        return call.ok({"id": f"mem-{memory_id}", "status": "deleted"})

    return bp


def _memory_id(call: Call) -> int:
    memory_id = parse_memory_id(call.params["memory_id"])
    if memory_id is None:
        raise NotFoundError(
            "No memory has this id", {"id": call.params["memory_id"][:80]}, code="MEMORY_NOT_FOUND"
        )
    return memory_id
