"""One envelope for every answer (as in the seed API)::

    {"success": true, "data": ..., "meta": {"timestamp", "request_id", "pagination"?}}
    {"success": false, "error": {"code", "message", "details"}, "meta": {"timestamp", "request_id"}}

Every answer also carries ``X-Request-Id`` (the client's, when it sent a usable one)."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Optional, TypedDict

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Pagination(TypedDict):
    page: int
    limit: int
    total: int
    pages: int


class Meta(TypedDict, total=False):
    timestamp: str
    request_id: str
    pagination: Pagination
    summary: Dict[str, Any]


class ErrorBody(TypedDict):
    code: str
    message: str
    details: Dict[str, Any]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def request_id(request: Request) -> str:
    """The request's id: the client's ``X-Request-Id`` when it is a short token, else new."""
    known = getattr(request.ctx, "request_id", None)
    if known:
        return str(known)
    given = request.headers.get("X-Request-Id", "")
    request.ctx.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    return str(request.ctx.request_id)


def meta(request: Request, **extra: Any) -> Meta:
    body: Meta = {"timestamp": now_iso(), "request_id": request_id(request)}
    body.update(extra)  # type: ignore[typeddict-item]
    return body


def pagination(page: int, limit: int, total: int) -> Pagination:
    return {"page": page, "limit": limit, "total": total, "pages": math.ceil(total / limit) if total else 0}


def ok(
    request: Request,
    data: Any,
    status: int = 200,
    page: Optional[Pagination] = None,
    summary: Optional[Dict[str, Any]] = None,
) -> HTTPResponse:
    extra: Dict[str, Any] = {}
    if page is not None:
        extra["pagination"] = page
    if summary is not None:
        extra["summary"] = summary
    body = {"success": True, "data": data, "meta": meta(request, **extra)}
    return response.json(body, status=status, headers={"X-Request-Id": request_id(request)})


def failure(
    request: Request, status: int, error: ErrorBody, headers: Optional[Dict[str, str]] = None
) -> HTTPResponse:
    body = {"success": False, "error": error, "meta": meta(request)}
    return response.json(
        body, status=status, headers={"X-Request-Id": request_id(request), **(headers or {})}
    )
