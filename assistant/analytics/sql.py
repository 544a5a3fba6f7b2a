"""SQL expressions the analytics need that SQLite and PostgreSQL spell differently: seconds
since 1970 of a DateTime column, a value inside a JSON text column, whole-number division
rounding down, and the local day or hour of a moment (the zone's offsets as a CASE)."""

from __future__ import annotations

from typing import Any, List, Tuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch(FunctionElement):  # noqa: N801 - reads like the SQL function it is
    """Seconds since 1970 (UTC) of a naive-UTC DateTime column."""

    type = sa.Float()
    name = "epoch"
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


class floor_div(FunctionElement):  # noqa: N801
    """``floor(value / divisor)`` as an integer (for values after 1970, which are positive)."""

    type = sa.BigInteger()
    name = "floor_div"
    inherit_cache = True


@compiles(floor_div, "sqlite")
def _floor_div_sqlite(element: floor_div, compiler: Any, **kw: Any) -> str:
    value, divisor = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({value}) / ({divisor}) AS INTEGER)"


@compiles(floor_div, "postgresql")
def _floor_div_postgresql(element: floor_div, compiler: Any, **kw: Any) -> str:
    value, divisor = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR(({value}) / ({divisor})) AS BIGINT)"


class json_value(FunctionElement):  # noqa: N801
    """The text at ``path`` (a tuple of keys) inside a JSON text column, NULL when absent."""

    type = sa.Text()
    name = "json_value"
    inherit_cache = False

    def __init__(self, column: Any, *path: str) -> None:
        self.path = path
        super().__init__(column)


@compiles(json_value, "sqlite")
def _json_value_sqlite(element: json_value, compiler: Any, **kw: Any) -> str:
    path = "$." + ".".join(element.path)
    return f"json_extract({compiler.process(element.clauses, **kw)}, '{path}')"


@compiles(json_value, "postgresql")
def _json_value_postgresql(element: json_value, compiler: Any, **kw: Any) -> str:
    path = "{" + ",".join(element.path) + "}"
    return f"(CAST({compiler.process(element.clauses, **kw)} AS json) #>> '{path}')"


def json_number(column: Any, *path: str) -> Any:
    return sa.cast(json_value(column, *path), sa.Float)


def local_bucket(seconds: Any, offsets: List[Tuple[float, int]], bucket_seconds: int) -> Any:
    """The local bucket number of a moment given in seconds since 1970 (UTC): local seconds
    (plus the zone's offset then) divided by the bucket's length, rounded down."""
    if len(offsets) == 1:
        offset: Any = sa.literal(offsets[0][1])
    else:
        whens = [(seconds < offsets[i][0], offsets[i - 1][1]) for i in range(1, len(offsets))]
        offset = sa.case(*whens, else_=offsets[-1][1])
    return floor_div(seconds + offset, bucket_seconds)
