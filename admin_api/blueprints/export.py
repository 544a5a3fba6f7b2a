"""``/api/admin/export``: conversations, messages and users as CSV, JSON, NDJSON or XLSX.

- ``GET /api/admin/export/{conversations|messages|users}?format=&date_from=&date_to=&columns=``
  plus the kind's filters: the file, streamed as it is read;
- ``POST /api/admin/export``: the same as a background job (202 with its id);
  ``GET /api/admin/export/<id>`` its status and download link, ``.../download`` the file.

Admins, or API keys with the ``export`` scope. Conversations are brought up to date with the
tracker store first (as the conversation listing does). No ``analytics`` kind is offered."""

from __future__ import annotations

from typing import Iterator, Optional

from sanic import Blueprint
from sanic.response import HTTPResponse, file_stream

from admin_api.blueprints.access import EXPORT
from admin_api.export import jobs, requests, sources, writers
from admin_api.export.stream import stream_response
from admin_api.routing import Call, endpoint
from assistant.store.models import utcnow


def blueprint() -> Blueprint:
    bp = Blueprint("export")
    for kind in sources.KINDS.values():
        _stream_endpoint(bp, kind)

    @endpoint(bp, "POST", "/api/admin/export", summary="Start an export job", access=EXPORT,
              body=requests.JOB_BODY, status=202)  # fmt: skip
    async def create_export(call: Call) -> HTTPResponse:
        """The file is written in the background; poll ``GET /api/admin/export/<id>``."""
        query = requests.from_body(call.body)
        s = call.services
        if call.body["type"] == "conversations":
            await s.synced()
        job = await s.run(jobs.create, s.store, call.body["type"], call.body.get("format", "csv"), query,
                          call.principal.id)  # fmt: skip
        jobs.start(s.store, s.tracker.engine, s.settings.var_dir, job["export_id"])
        return call.ok(job, 202)

    @endpoint(bp, "GET", "/api/admin/export/<export_id:str>", summary="An export job's status", access=EXPORT)
    async def export_status(call: Call) -> HTTPResponse:
        return call.ok(await call.services.run(jobs.get, call.services.store, call.params["export_id"]))

    @endpoint(bp, "GET", "/api/admin/export/<export_id:str>/download", summary="An export job's file",
              access=EXPORT)  # fmt: skip
    async def export_download(call: Call) -> HTTPResponse:
        s = call.services
        path = await s.run(jobs.file_of, s.store, s.settings.var_dir, call.params["export_id"])
        content_type = writers.FORMATS[path.suffix.lstrip(".")][1]
        return await file_stream(str(path), mime_type=content_type, filename=path.name)  # type: ignore[return-value]

    return bp


def _stream_endpoint(bp: Blueprint, kind: sources.Kind) -> None:
    async def stream_export(call: Call) -> Optional[HTTPResponse]:
        """A date range, the kind's filters, a choice of columns; streamed row by row."""
        query = requests.from_query(kind, call.query)
        if kind.name == "conversations":
            await call.services.synced()
        writer, content_type, extension = writers.FORMATS[call.query.get("format", "csv")]
        engine = call.services.tracker.engine if kind.source == "tracker" else call.services.store.engine

        def produce() -> Iterator[bytes]:
            header, rows = sources.projected(kind, query, engine)
            return writer(header, rows)

        name = f"{kind.name}-{utcnow():%Y%m%dT%H%M%S}.{extension}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return await stream_response(call.request, produce, content_type, headers)

    stream_export.__name__ = stream_export.__qualname__ = f"export_{kind.name}"
    endpoint(bp, "GET", f"/api/admin/export/{kind.name}", summary=f"Export {kind.name} (streamed)",
             access=EXPORT, query=requests.query_schema(kind))(stream_export)  # type: ignore[arg-type]  # fmt: skip
