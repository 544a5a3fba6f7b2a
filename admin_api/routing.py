"""Endpoints are declared with :func:`endpoint`: method, path, who may call (``Access``), the
JSON Schemas of the body, query and answer. The wrapper authenticates and authorizes the
caller first (401/403 before anything else; public endpoints ignore credentials), then checks path ids, body and query (400/422),
and hands the handler a :class:`Call`. The same declaration feeds /api/openapi.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from admin_api.context import Services
from admin_api.envelope import Pagination, ok
from admin_api.errors import ApiError
from admin_api.schemas import ANY, Schema
from admin_api.security.principal import ANONYMOUS, Access, Principal, authorize
from admin_api.validation import parse_body, parse_query, path_id

Handler = Callable[["Call"], Awaitable[HTTPResponse]]
UNLIMITED = ("/api/health", "/health", "/metrics")  # probes and scrapers are not rate limited


@dataclass(frozen=True)
class Spec:
    method: str
    path: str
    summary: str
    tag: str
    access: Access
    body: Optional[Schema] = None
    query: Optional[Dict[str, Schema]] = None
    response: Schema = field(default_factory=dict)
    status: int = 200
    description: str = ""


@dataclass
class Call:
    """One request, checked: who calls, their body and query, the path's ids."""

    request: Request
    principal: Principal
    services: Services
    body: Dict[str, Any]
    query: Dict[str, Any]
    params: Dict[str, str]

    def ok(
        self,
        data: Any,
        status: int = 200,
        page: Optional[Pagination] = None,
        summary: Optional[Dict[str, Any]] = None,
    ) -> HTTPResponse:
        return ok(self.request, data, status, page, summary)

    @property
    def ip(self) -> str:
        return str(self.request.ip or "unknown")


def endpoint(
    blueprint: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    access: Access,
    body: Optional[Schema] = None,
    query: Optional[Dict[str, Schema]] = None,
    response: Schema = ANY,
    status: int = 200,
) -> Callable[[Handler], Handler]:
    """Registers ``handler`` at ``path`` on ``blueprint`` with its checks and its spec."""

    def decorate(handler: Handler) -> Handler:
        spec = Spec(method, path, summary, str(blueprint.name), access, body, query, response, status,
                    (handler.__doc__ or "").strip())  # fmt: skip

        async def route(request: Request, **params: str) -> HTTPResponse:
            services: Services = request.app.ctx.services
            principal = await _caller(request, services, access, limited=not path.startswith(UNLIMITED))
            authorize(principal, access)
            ids = {name: path_id(value) for name, value in params.items()}
            checked_body = parse_body(request.body, body) if body is not None else {}
            checked_query = parse_query(dict(request.args), query) if query else {}
            return await handler(Call(request, principal, services, checked_body, checked_query, ids))

        route.__name__ = route.__qualname__ = handler.__name__
        route.__doc__ = handler.__doc__
        route.api_spec = spec  # type: ignore[attr-defined]
        blueprint.add_route(route, path, methods=[method], name=handler.__name__)
        return handler

    return decorate


async def _caller(request: Request, services: Services, access: Access, limited: bool) -> Principal:
    """Who calls (public endpoints: nobody in particular), counted against their rate limit:
    the account or API key, or the client address when there is none (or it is not valid)."""
    try:
        principal = ANONYMOUS if access.public else await services.authenticate(request)
    except ApiError:
        if limited:
            await services.throttle(request, f"ip:{request.ip}")
        raise
    if limited:
        caller = f"ip:{request.ip}" if principal.kind == "anonymous" else f"{principal.kind}:{principal.id}"
        await services.throttle(request, caller)
    return principal
