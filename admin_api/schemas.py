"""Builders of the JSON Schemas (2020-12, as OpenAPI 3.1 uses) that both validate requests and
document them in /api/openapi.json: one source for what is checked and what is shown."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

Schema = Dict[str, Any]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@~-]{0,254}$"


def string(
    min_length: int = 0,
    max_length: int = 255,
    enum: Optional[Sequence[str]] = None,
    fmt: Optional[str] = None,
    pattern: Optional[str] = None,
    nullable: bool = False,
    description: str = "",
) -> Schema:
    schema: Schema = {"type": ["string", "null"] if nullable else "string"}
    if enum is not None:
        schema["enum"] = list(enum) + ([None] if nullable else [])
    else:
        schema.update(minLength=min_length, maxLength=max_length)
    if fmt:
        schema["format"] = fmt
    if pattern:
        schema["pattern"] = pattern
    if description:
        schema["description"] = description
    return schema


def integer(minimum: Optional[int] = None, maximum: Optional[int] = None, description: str = "") -> Schema:
    schema: Schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if description:
        schema["description"] = description
    return schema


def boolean(description: str = "") -> Schema:
    return {"type": "boolean", **({"description": description} if description else {})}


def array(items: Schema, max_items: int = 50, unique: bool = False) -> Schema:
    schema: Schema = {"type": "array", "items": items, "maxItems": max_items}
    if unique:
        schema["uniqueItems"] = True
    return schema


def obj(properties: Dict[str, Schema], required: Iterable[str] = (), additional: bool = False) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": additional}
    names: List[str] = list(required)
    if names:
        schema["required"] = names
    return schema


ANY: Schema = {}
EMAIL = string(3, 254, fmt="email")
PASSWORD = string(10, 200, description="10 to 200 characters")
NAME = string(1, 120, pattern=r"\S")
PAGE_QUERY: Dict[str, Schema] = {
    "page": integer(1, 100_000, "page number, from 1"),
    "limit": integer(1, 100, "items per page (at most 100)"),
}
