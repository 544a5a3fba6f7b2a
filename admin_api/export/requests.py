"""An export request, from a GET's query or a job's body, checked against its kind: known
columns, known filters with allowed values, a date range that is not reversed (422 else)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from admin_api.errors import ValidationFailed
from admin_api.export.sources import KINDS, Kind, Query
from admin_api.schemas import Schema, array, boolean, obj, string
from admin_api.validation import optional_datetime

COLUMN = r"^[a-z_]{1,40}$"
FORMAT = string(enum=("csv", "json", "ndjson", "xlsx"))
FILTER_NAMES = sorted({name for kind in KINDS.values() for name in kind.filters})


def query_schema(kind: Kind) -> Dict[str, Schema]:
    """The GET export's query parameters of ``kind``."""
    filters = {
        name: string(enum=allowed) if allowed else string(1, 255) for name, allowed in kind.filters.items()
    }
    return {"format": FORMAT, "date_from": string(fmt="date-time"), "date_to": string(fmt="date-time"),
            "columns": string(1, 1000, pattern=r"^[a-z_]+(,[a-z_]+)*$",
                              description=f"comma-separated, any of: {', '.join(kind.columns)}"),
            **filters}  # fmt: skip


JOB_BODY = obj(
    {
        "type": string(enum=tuple(KINDS)),
        "format": FORMAT,
        "date_range": obj({"from": string(fmt="date-time"), "to": string(fmt="date-time")}),
        "filters": obj({name: string(1, 255) for name in FILTER_NAMES}),
        "columns": array(string(1, 40, pattern=COLUMN), 40, unique=True),
        "include_metadata": boolean("accepted for compatibility; exports carry no metadata column"),
    },
    ["type"],
)


def from_query(kind: Kind, values: Dict[str, Any]) -> Query:
    columns = values["columns"].split(",") if values.get("columns") else []
    filters = {name: values[name] for name in kind.filters if name in values}
    return checked(kind, values.get("date_from"), values.get("date_to"), filters, columns)


def from_body(body: Dict[str, Any]) -> Query:
    kind = KINDS[body["type"]]
    dates = body.get("date_range") or {}
    return checked(kind, _date(dates, "from"), _date(dates, "to"), body.get("filters") or {},
                   body.get("columns") or [])  # fmt: skip


def checked(
    kind: Kind, date_from: Optional[datetime], date_to: Optional[datetime], filters: Dict[str, str],
    columns: Sequence[str],
) -> Query:  # fmt: skip
    errors: List[Dict[str, str]] = []
    unknown = [c for c in columns if c not in kind.columns]
    if unknown:
        errors.append(
            {"field": "columns", "message": f"unknown columns {unknown[:5]}; any of {list(kind.columns)}"}
        )
    if len(set(columns)) != len(columns):
        errors.append({"field": "columns", "message": "a column is named twice"})
    for name, value in filters.items():
        allowed = kind.filters.get(name)
        if allowed is None:
            errors.append(
                {"field": f"filters.{name}", "message": f"{kind.name} cannot be filtered by {name}"}
            )
        elif allowed and value not in allowed:
            errors.append({"field": f"filters.{name}", "message": f"must be one of {list(allowed)}"})
    if date_from is not None and date_to is not None and date_from > date_to:
        errors.append({"field": "date_to", "message": "must not be before date_from"})
    if errors:
        raise ValidationFailed(errors)
    return Query(date_from, date_to, dict(filters), tuple(columns))


def _date(dates: Dict[str, Any], name: str) -> Optional[datetime]:
    try:
        return optional_datetime(dates.get(name))
    except ValueError as exc:
        raise ValidationFailed([{"field": f"date_range.{name}", "message": str(exc)}]) from exc


def as_params(query: Query) -> Dict[str, Any]:
    """The query as the job row keeps it (JSON)."""
    return {"date_from": query.date_from.isoformat() if query.date_from else None,
            "date_to": query.date_to.isoformat() if query.date_to else None,
            "filters": query.filters, "columns": list(query.columns)}  # fmt: skip


def from_params(params: Dict[str, Any]) -> Query:
    return Query(optional_datetime(params.get("date_from")), optional_datetime(params.get("date_to")),
                 dict(params.get("filters") or {}), tuple(params.get("columns") or ()))  # fmt: skip
