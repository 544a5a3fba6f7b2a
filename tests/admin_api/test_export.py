"""Exports over real HTTP on SQLite and PostgreSQL: CSV that the csv module reads back (with
formula injection neutralised), XLSX that openpyxl opens, NDJSON with a line per row, JSON,
date ranges, filters and columns, 4xx for junk, streaming, and the job's life cycle."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List

import openpyxl
import pytest
import requests

from admin_api.export import writers
from admin_api.export.writers import neutralised, write_xlsx_file
from assistant.store.conversation_models import Conversation
from assistant.store.ops_models import ExportJob
from tests.admin_api import events as ev
from tests.admin_api.conftest import Api
from tests.admin_api.server import data

INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1)", "\tcmd", "\rcmd"]
AGENT = {"id": "a1", "name": "Alice", "role": "agent"}


@pytest.fixture(scope="module")
def tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def written(api: Api, tag: str) -> Dict[str, List[str]]:
    """Conversations whose messages start like formulas, an agent's reply, one closed and tagged."""
    senders = []
    start = time.time() - 3600
    for number, text in enumerate(INJECTIONS):
        sender = f"exp-{tag}-{number}"
        ev.write(api.settings, sender, [ev.user(text, "greet", 0.5 + number / 100), ev.bot(f"reply {tag} é"),
                                        ev.bot(f"agent {tag}", AGENT)], start=start + number)  # fmt: skip
        senders.append(sender)
    data(api.admin.get("/api/admin/conversations", params={"limit": 100}))  # the sync reads them in
    with api.store.session() as s:
        closed = s.get(Conversation, senders[0])
        closed.status, closed.tags = "closed", ["billing", tag]
        s.get(Conversation, senders[1]).created_at = datetime(2020, 1, 15, 12, 0)
    return {"senders": senders}


def export(api: Api, kind: str, **params: str) -> requests.Response:
    answer = api.admin.get(f"/api/admin/export/{kind}", params=params, stream=True)
    answer.raw.decode_content = True
    return answer


def csv_rows(answer: requests.Response) -> List[List[str]]:
    assert answer.status_code == 200, answer.text[:500]
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_neutralised_cells() -> None:
    assert [neutralised(v) for v in INJECTIONS] == ["'" + v for v in INJECTIONS]
    assert [neutralised(v) for v in ("plain", "", -3, 1.5, None, "a=b")] == [
        "plain",
        "",
        -3,
        1.5,
        None,
        "a=b",
    ]


def test_csv_of_conversations_round_trips_with_injection_escaped(api: Api, written: Dict, tag: str) -> None:
    answer = export(api, "conversations", format="csv", columns="id,title,status,tags")
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="conversations-')
    rows = csv_rows(answer)
    assert rows[0] == ["id", "title", "status", "tags"]
    mine = {r[0]: r for r in rows[1:] if r[0].startswith(f"exp-{tag}")}
    assert set(mine) == set(written["senders"])
    titles = sorted(r[1] for r in mine.values())
    assert all(t.startswith("'") for t in titles), titles
    assert mine[written["senders"][0]][2:] == ["closed", f"billing;{tag}"]


def test_filters_and_date_range(api: Api, written: Dict, tag: str) -> None:
    closed = csv_rows(export(api, "conversations", status="closed", tag=tag, columns="id"))
    assert closed == [["id"], [written["senders"][0]]]
    old = csv_rows(
        export(api, "conversations", date_from="2020-01-01", date_to="2020-01-31T23:59:59Z", columns="id")
    )
    assert [written["senders"][1]] == [r[0] for r in old[1:] if r[0].startswith(f"exp-{tag}")]
    recent = csv_rows(export(api, "conversations", date_from="2021-01-01", columns="id"))
    assert written["senders"][1] not in {r[0] for r in recent[1:]}


def test_xlsx_opens_in_openpyxl_and_keeps_formulas_as_text(api: Api, written: Dict, tag: str) -> None:
    answer = export(api, "messages", format="xlsx", columns="conversation_id,type,text,confidence")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/vnd.openxml")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("conversation_id", "type", "text", "confidence")
    users = [r for r in rows[1:] if str(r[0]).startswith(f"exp-{tag}") and r[1] == "user"]
    expected = sorted("'" + v.replace("\r", "\n") for v in INJECTIONS)  # XML reads a lone CR as LF
    assert sorted(r[2] for r in users) == expected
    assert all(isinstance(r[3], float) for r in users)
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(answer.content)).active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells), "no cell is a formula"


def test_ndjson_has_a_line_per_message_and_the_type_filter(api: Api, written: Dict, tag: str) -> None:
    answer = export(api, "messages", format="ndjson", conversation_id=written["senders"][2])
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/x-ndjson")
    lines = answer.content.decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["type"] for r in rows] == ["user", "bot", "agent"]
    assert rows[0]["text"] == INJECTIONS[2] and rows[0]["intent"] == "greet", "JSON keeps the text as it is"
    assert rows[1]["text"] == f"reply {tag} é" and rows[2]["sender_id"] == "a1"
    agents = [
        json.loads(x) for x in export(api, "messages", format="ndjson", type="agent").content.splitlines()
    ]
    assert agents and {r["type"] for r in agents} == {"agent"}


def test_json_of_users_without_secrets(api: Api) -> None:
    rows = json.loads(export(api, "users", format="json", role="agent").content)
    assert rows and {r["role"] for r in rows} == {"agent"}
    assert "password_hash" not in rows[0] and set(rows[0]) >= {"id", "email", "created_at"}
    picked = json.loads(export(api, "users", format="json", columns="email,role").content)
    assert picked and all(list(r) == ["email", "role"] for r in picked)
    future = (datetime.utcnow() + timedelta(days=1)).isoformat()
    assert json.loads(export(api, "users", format="json", date_from=future).content) == []


@pytest.mark.parametrize("params", [
    {"format": "pdf"}, {"columns": "id,nope"}, {"columns": "id,id"}, {"columns": "DROP TABLE"},
    {"date_from": "yesterday"}, {"date_from": "2026-02-01", "date_to": "2026-01-01"}, {"status": "bogus"},
    {"page": "x", "format": "csv;"},
])  # fmt: skip
def test_junk_is_a_422(api: Api, params: Dict[str, str]) -> None:
    answer = api.admin.get("/api/admin/export/conversations", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_only_admins_export(api: Api) -> None:
    assert api.agent.get("/api/admin/export/users").status_code == 403
    assert api.anonymous.get("/api/admin/export/users").status_code == 401
    assert api.admin.get("/api/admin/export/orders").status_code == 404


def test_a_large_export_is_streamed_in_chunks(api: Api, tag: str) -> None:
    sender = f"big-{tag}"
    ev.write(api.settings, sender, [ev.user(f"message {n} " + "x" * 200) for n in range(3000)])
    answer = export(api, "messages", format="csv", conversation_id=sender, columns="id,text")
    assert answer.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in answer.headers
    chunks = list(answer.iter_content(chunk_size=None))
    assert len(chunks) > 3
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode()[1:], newline="")))
    assert len(rows) == 3001 and rows[-1][1].startswith("message 2999")


def test_job_life_cycle(api: Api, written: Dict, tag: str) -> None:
    body = {"type": "messages", "format": "csv", "filters": {"conversation_id": written["senders"][3]},
            "columns": ["type", "text"], "date_range": {"from": "2000-01-01T00:00:00Z"}}  # fmt: skip
    job = data(api.admin.post("/api/admin/export", body), 202)
    assert job["status"] in ("queued", "running", "done") and job["type"] == "messages"
    deadline = time.monotonic() + 30
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = data(api.admin.get(f"/api/admin/export/{job['export_id']}"))
    assert job["status"] == "done" and job["record_count"] == 3 and job["size_bytes"] > 0
    assert job["download_url"] == f"/api/admin/export/{job['export_id']}/download"
    file = api.admin.get(job["download_url"])
    assert file.status_code == 200 and "attachment" in file.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(file.content.decode()[1:], newline="")))
    assert rows == [
        ["type", "text"],
        ["user", "'@SUM(A1)"],
        ["bot", f"reply {tag} é"],
        ["agent", f"agent {tag}"],
    ]


def test_job_errors(api: Api) -> None:
    assert api.admin.post("/api/admin/export", {"type": "orders"}).status_code == 422
    assert (
        api.admin.post("/api/admin/export", {"type": "users", "filters": {"intent": "x"}}).status_code == 422
    )
    assert api.admin.post("/api/admin/export", {"type": "users", "columns": ["nope"]}).status_code == 422
    assert (
        api.admin.post("/api/admin/export", {"type": "users", "date_range": {"from": "soon"}}).status_code
        == 422
    )
    assert api.admin.get(f"/api/admin/export/{uuid.uuid4().hex}").status_code == 404
    assert api.agent.post("/api/admin/export", {"type": "users"}).status_code == 403
    waiting = uuid.uuid4().hex
    with api.store.session() as s:
        s.add(ExportJob(id=waiting, kind="users", format="csv", params={}, status="running", created_by="x"))
    answer = api.admin.get(f"/api/admin/export/{waiting}/download")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "EXPORT_NOT_READY"


def test_xlsx_starts_a_new_sheet_when_one_is_full(tmp_path: Path) -> None:
    path = tmp_path / "split.xlsx"
    write_xlsx_file(("n", "text"), ((n, f"={n}") for n in range(5)), path, sheet_rows=2)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["export", "export 2", "export 3"]
    assert [list(s.iter_rows(values_only=True)) for s in book.worksheets] == [
        [("n", "text"), (0, "'=0"), (1, "'=1")], [("n", "text"), (2, "'=2"), (3, "'=3")], [("n", "text"), (4, "'=4")]]  # fmt: skip
    write_xlsx_file(("n",), iter(()), path)
    assert list(openpyxl.load_workbook(path).active.iter_rows(values_only=True)) == [("n",)]


def test_a_workbook_slower_than_the_response_timeout_still_arrives(
    api: Api, written: Dict, monkeypatch: Any
) -> None:
    """An XLSX workbook's first byte waits for its last row (minutes for millions of rows),
    longer than Sanic's response timeout between writes: the export's connection waits."""
    xlsx, content_type, extension = writers.FORMATS["xlsx"]

    def slow(header: Any, rows: Any) -> Any:
        time.sleep(2.5)
        yield from xlsx(header, rows)

    monkeypatch.setitem(writers.FORMATS, "xlsx", (slow, content_type, extension))
    monkeypatch.setattr(api.server.app.config, "RESPONSE_TIMEOUT", 1)
    answer = requests.get(f"{api.url}/api/admin/export/conversations", params={"format": "xlsx", "columns": "id"},
                          headers=api.admin.headers, timeout=60)  # fmt: skip
    assert answer.status_code == 200, answer.text[:300]
    ids = [
        r[0] for r in openpyxl.load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)
    ]
    assert ids[0] == "id" and set(written["senders"]) <= set(ids)
