"""``/api/memory/knowledge/search``: the help centre's passages ranked for a question (BM25 and
MiniLM embeddings fused, assistant/knowledge/), as the assistant's grounded answers use them."""

from __future__ import annotations

from typing import Any, Dict, List

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.blueprints.access import SIGNED_IN
from admin_api.routing import Call, endpoint
from admin_api.schemas import integer, obj, string
from assistant.knowledge import shared_knowledge_base
from assistant.knowledge.index import Hit

SEARCH = obj({
    "query": string(1, 1000, pattern=r"\S", description="the question, 1 to 1,000 characters"),
    "organizationId": string(0, 120, description="accepted for compatibility; there is one organization"),
    "limit": integer(1, 20, description="how many passages, 5 by default"),
}, ["query"])  # fmt: skip


def result_view(hit: Hit) -> Dict[str, Any]:
    chunk = hit.chunk
    return {"id": f"kb-{chunk.id}", "title": chunk.title, "section": chunk.heading, "content": chunk.text,
            "relevance": hit.relevance, "source": "knowledge_base", "article": chunk.article,
            "url": chunk.url}  # fmt: skip


def blueprint() -> Blueprint:
    bp = Blueprint("knowledge")

    @endpoint(bp, "POST", "/api/memory/knowledge/search", summary="Search the knowledge base",
              access=SIGNED_IN, body=SEARCH)  # fmt: skip
    async def search(call: Call) -> HTTPResponse:
        """Passages best first; ``relevance`` is the cosine similarity (0-1) of the passage to the
        query, the order is the fused rank of BM25 and that similarity."""
        knowledge = shared_knowledge_base(call.services.settings)
        hits: List[Hit] = await call.services.run(knowledge.search, call.body["query"],
                                                  int(call.body.get("limit") or 5))  # fmt: skip
        return call.ok({"results": [result_view(hit) for hit in hits]})

    return bp
