"""Rows to bytes, a chunk at a time, in each export format. Spreadsheet formats neutralise
formula injection: a text cell starting with ``= + - @``, a tab or a carriage return gets a
leading apostrophe, so a spreadsheet shows it as text instead of running it."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, Sequence, Tuple

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

CHUNK_BYTES = 64 * 1024
SHEET_ROWS = 1_048_575  # rows under the header that fit in one spreadsheet sheet
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Row = Tuple[Any, ...]
Writer = Callable[[Sequence[str], Iterable[Row]], Iterator[bytes]]


def neutralised(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """UTF-8 with a byte order mark (so spreadsheets pick the encoding), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else neutralised(v) for v in row])
        if buffer.tell() >= CHUNK_BYTES:
            yield _drain(buffer)
    yield _drain(buffer)


def write_ndjson(header: Sequence[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """One JSON object per line."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write(_json(dict(zip(header, row, strict=False))) + "\n")
        if buffer.tell() >= CHUNK_BYTES:
            yield _drain(buffer)
    yield _drain(buffer)


def write_json(header: Sequence[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """One JSON array of objects, written as it goes."""
    buffer = io.StringIO()
    buffer.write("[")
    separator = "\n"
    for row in rows:
        buffer.write(separator + _json(dict(zip(header, row, strict=False))))
        separator = ",\n"
        if buffer.tell() >= CHUNK_BYTES:
            yield _drain(buffer)
    buffer.write("\n]\n")
    yield _drain(buffer)


def write_xlsx(header: Sequence[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """An XLSX workbook built in openpyxl's write-only mode (rows go to a temporary file as
    they come), then read back in chunks: memory stays flat, the first byte waits for the
    last row."""
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        write_xlsx_file(header, rows, path)
        with path.open("rb") as stream:
            while True:
                chunk = stream.read(CHUNK_BYTES)
                if not chunk:
                    break
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def write_xlsx_file(
    header: Sequence[str], rows: Iterable[Row], path: Path, sheet_rows: int = SHEET_ROWS
) -> None:
    """A workbook of sheets ``export``, ``export 2``, ... of at most ``sheet_rows`` rows
    under the header each (a spreadsheet's sheet holds 1,048,576 rows)."""
    workbook = Workbook(write_only=True)
    sheet, filled, number = None, sheet_rows, 0
    for row in rows:
        if filled >= sheet_rows:
            number += 1
            sheet = workbook.create_sheet("export" if number == 1 else f"export {number}")
            sheet.append(list(header))
            filled = 0
        sheet.append([_cell(v) for v in row])  # type: ignore[union-attr]
        filled += 1
    if sheet is None:
        workbook.create_sheet("export").append(list(header))
    workbook.save(str(path))


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralised(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _json(data: Dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate(0)
    return data


FORMATS: Dict[str, Tuple[Writer, str, str]] = {
    "csv": (write_csv, "text/csv; charset=utf-8", "csv"),
    "json": (write_json, "application/json", "json"),
    "ndjson": (write_ndjson, "application/x-ndjson", "ndjson"),
    "xlsx": (write_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
