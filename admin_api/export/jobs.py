"""Export jobs: ``POST /api/admin/export`` stores a job (``export_jobs``) and a thread writes
its file under ``var_dir/exports`` (a temporary name, renamed when complete); the job's row
says queued, running, done (rows, bytes) or failed (why). Jobs a restart interrupted are
marked failed when the API starts again."""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator

import sqlalchemy as sa

from admin_api.errors import ApiError, NotFoundError
from admin_api.export import requests, sources, writers
from assistant.store import Store
from assistant.store.models import utcnow
from assistant.store.ops_models import ExportJob

logger = logging.getLogger(__name__)
UNFINISHED = ("queued", "running")


def export_dir(var_dir: Path) -> Path:
    path = var_dir / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create(store: Store, kind: str, fmt: str, query: sources.Query, actor_id: str) -> Dict[str, Any]:
    job = ExportJob(id=uuid.uuid4().hex, kind=kind, format=fmt, params=requests.as_params(query),
                    status="queued", created_by=actor_id)  # fmt: skip
    with store.session() as s:
        s.add(job)
        s.flush()
        return view(job)


def get(store: Store, job_id: str) -> Dict[str, Any]:
    with store.session() as s:
        job = s.get(ExportJob, job_id)
        if job is None:
            raise NotFoundError("No export has this id", {"id": job_id}, code="EXPORT_NOT_FOUND")
        return view(job)


def file_of(store: Store, var_dir: Path, job_id: str) -> Path:
    """The finished file of the job; 409 while it is not done, 404 when it is gone."""
    job = get(store, job_id)
    if job["status"] != "done":
        raise ApiError(
            "The export is not ready", {"status": job["status"]}, code="EXPORT_NOT_READY", status=409
        )
    path = export_dir(var_dir) / job["file_name"]
    if not path.is_file():
        raise NotFoundError("The export's file is gone", {"id": job_id}, code="EXPORT_FILE_GONE")
    return path


def view(job: ExportJob) -> Dict[str, Any]:
    done = job.status == "done"
    return {"export_id": job.id, "type": job.kind, "format": job.format, "status": job.status,
            "params": job.params, "record_count": job.row_count, "size_bytes": job.size_bytes,
            "file_name": job.file_name if done else None, "error": job.error,
            "download_url": f"/api/admin/export/{job.id}/download" if done else None,
            "created_by": job.created_by, "created_at": sources.iso(job.created_at),
            "started_at": sources.iso(job.started_at), "finished_at": sources.iso(job.finished_at)}  # fmt: skip


def start(store: Store, tracker_engine: sa.engine.Engine, var_dir: Path, job_id: str) -> threading.Thread:
    thread = threading.Thread(target=run, args=(store, tracker_engine, var_dir, job_id),
                              name=f"export-{job_id[:8]}", daemon=True)  # fmt: skip
    thread.start()
    return thread


def run(store: Store, tracker_engine: sa.engine.Engine, var_dir: Path, job_id: str) -> None:
    """Writes the job's file; the job ends done or failed, never running."""
    with store.session() as s:
        job = s.get(ExportJob, job_id)
        kind, fmt, params = sources.KINDS[job.kind], job.format, dict(job.params)
        job.status, job.started_at = "running", utcnow()
    name = f"{job_id}.{writers.FORMATS[fmt][2]}"
    final = export_dir(var_dir) / name
    partial = final.with_suffix(".part")
    try:
        engine = tracker_engine if kind.source == "tracker" else store.engine
        header, rows = sources.projected(kind, requests.from_params(params), engine)
        counted = _Counted(rows)
        _write(fmt, header, counted, partial)
        partial.replace(final)
    except Exception as error:  # the job says why it failed
        logger.warning("Export %s failed", job_id, exc_info=True)
        partial.unlink(missing_ok=True)
        _finish(store, job_id, status="failed", error=f"{type(error).__name__}: {error}"[:500])
        return
    _finish(
        store, job_id, status="done", row_count=counted.count, size_bytes=final.stat().st_size, file_name=name
    )


def _write(fmt: str, header: Any, rows: Iterable[Any], path: Path) -> None:
    if fmt == "xlsx":
        writers.write_xlsx_file(header, rows, path)
        return
    with path.open("wb") as handle:
        for chunk in writers.FORMATS[fmt][0](header, rows):
            handle.write(chunk)


def _finish(store: Store, job_id: str, **values: Any) -> None:
    with store.session() as s:
        job = s.get(ExportJob, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        job.finished_at = utcnow()


def fail_interrupted(store: Store) -> int:
    """Jobs left queued or running by a stopped server: failed, so nobody waits for them."""
    with store.session() as s:
        result = s.execute(
            sa.update(ExportJob).where(ExportJob.status.in_(UNFINISHED))
            .values(status="failed", error="interrupted: the server stopped", finished_at=utcnow())
        )  # fmt: skip
        return int(result.rowcount or 0)


class _Counted:
    """Passes rows through, counting them."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows, self.count = rows, 0

    def __iter__(self) -> Iterator[Any]:
        for row in self._rows:
            self.count += 1
            yield row
