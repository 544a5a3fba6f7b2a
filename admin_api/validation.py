"""Request checks: a JSON body against its schema, query parameters against theirs (converted
to integers, booleans and dates), path identifiers. Every failure is a clear 4xx: 400 for a
body that is not JSON, 422 with one entry per field for values that do not fit."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from jsonschema import Draft202012Validator, FormatChecker

from admin_api.errors import BadRequest, NotFoundError, ValidationFailed
from admin_api.schemas import ID_PATTERN, Schema
from assistant.identifiers import EMAIL_PATTERN

_FORMATS = FormatChecker()
_ID = re.compile(ID_PATTERN)
_QUOTED = re.compile(r"'([^']+)'")


@_FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(EMAIL_PATTERN.match(value))


def parse_body(raw: bytes, schema: Schema) -> Dict[str, Any]:
    """The body as a checked JSON object (an empty body counts as ``{}``)."""
    if not raw or not raw.strip():
        value: Any = {}
    else:
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest("The body must be JSON", {"reason": str(exc)[:200]}) from exc
    check(value, schema)
    return value


def check(value: Any, schema: Schema, prefix: str = "") -> None:
    errors = [
        {"field": _field(e, prefix), "message": e.message[:300]}
        for e in _validator(schema).iter_errors(value)
    ]
    errors += _unstorable(value, prefix)
    if errors:
        raise ValidationFailed(errors)


def parse_query(args: Dict[str, List[str]], properties: Dict[str, Schema]) -> Dict[str, Any]:
    """Known query parameters, converted to their types; unknown ones are ignored."""
    values: Dict[str, Any] = {}
    errors: List[Dict[str, str]] = []
    for name, schema in properties.items():
        found = args.get(name) or []
        raw = found[0] if found else None
        if raw is None or raw == "":
            continue
        try:
            values[name] = _convert(raw, schema)
        except ValueError as exc:
            errors.append({"field": name, "message": str(exc)})
    if errors:
        raise ValidationFailed(errors)
    check(values, {"type": "object", "properties": {n: _plain(s) for n, s in properties.items()}})
    return values


def path_id(value: str) -> str:
    """A path's identifier: an unusable one cannot name anything (404)."""
    if not _ID.match(value or ""):
        raise NotFoundError("Nothing has this id", {"id": (value or "")[:80]})
    return value


def _convert(raw: str, schema: Schema) -> Any:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        if not re.fullmatch(r"-?\d{1,12}", raw):
            raise ValueError("must be a whole number")
        return int(raw)
    if kind == "boolean":
        if raw.lower() not in ("true", "false", "1", "0"):
            raise ValueError("must be true or false")
        return raw.lower() in ("true", "1")
    if "\x00" in raw:
        raise ValueError("must not contain NUL characters")
    if fmt in ("date", "date-time"):
        return _datetime(raw)
    return raw


def _datetime(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("must be a date (2026-01-31) or a date and time (2026-01-31T12:00:00Z)") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _plain(schema: Schema) -> Schema:
    """A query parameter's schema for its converted value (dates are checked by conversion)."""
    if schema.get("format") in ("date", "date-time"):
        return {}
    return schema


def _validator(schema: Schema) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=_FORMATS)


def _field(error: Any, prefix: str) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator in ("required", "additionalProperties"):
        found = _QUOTED.findall(error.message)
        name = found[0] if found else ""
        path = f"{path}.{name}" if path and name else path or name
    return f"{prefix}{path}"


def _unstorable(value: Any, prefix: str, path: str = "") -> List[Dict[str, str]]:
    """Text no database can keep: NUL characters, lone surrogates."""
    if isinstance(value, dict):
        return [
            e for k, v in value.items() for e in _unstorable(v, prefix, f"{path}.{k}" if path else str(k))
        ]
    if isinstance(value, list):
        return [
            e for i, v in enumerate(value) for e in _unstorable(v, prefix, f"{path}.{i}" if path else str(i))
        ]
    if isinstance(value, str) and ("\x00" in value or not _encodable(value)):
        return [{"field": f"{prefix}{path}", "message": "contains characters that cannot be stored"}]
    return []


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def optional_datetime(value: Optional[str]) -> Optional[datetime]:
    return _datetime(value) if value else None
