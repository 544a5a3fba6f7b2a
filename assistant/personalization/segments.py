"""Rule-based segments: ``{"rules": [{"field", "operator", "value"}, ...], "logic": "AND"|"OR"}``
over a customer's profile facts (:func:`assistant.personalization.profile.facts`). A rule may be
a nested group (``{"rules": [...], "logic": ...}``). Built-in segments apply without setup;
stored ones (``POST /api/personalization/segmentation``) add to them."""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping

import sqlalchemy as sa

from assistant.store import Store
from assistant.store.memory_models import Segment
from assistant.store.models import utcnow

LOGICS = ("AND", "OR")
MAX_DEPTH = 4
_NUMERIC = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}
OPERATORS: Dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: isinstance(b, list) and a in b,
    "not_in": lambda a, b: isinstance(b, list) and a not in b,
    "contains": lambda a, b: (isinstance(a, list) and b in a)
    or (isinstance(a, str) and isinstance(b, str) and b in a),
    **{op: (lambda f: lambda a, b: _numbers(a, b) and f(a, b))(f) for op, f in _NUMERIC.items()},
}
BUILTIN: Dict[str, Dict[str, Any]] = {
    "premium_customers": {"name": "Premium customers", "criteria": {"logic": "AND", "rules": [
        {"field": "priority_support", "operator": "=", "value": True}]}},
    "returning_customers": {"name": "Returning customers", "criteria": {"logic": "AND", "rules": [
        {"field": "total_conversations", "operator": ">=", "value": 2}]}},
    "at_risk": {"name": "At risk (unhappy lately)", "criteria": {"logic": "OR", "rules": [
        {"field": "satisfaction_trend", "operator": "=", "value": "declining"},
        {"field": "average_sentiment", "operator": "<=", "value": -0.3}]}},
}  # fmt: skip


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


def check_criteria(criteria: Any, depth: int = 0) -> None:
    """Raises ValueError with what is wrong in ``criteria``."""
    if (
        not isinstance(criteria, Mapping)
        or not isinstance(criteria.get("rules"), list)
        or not criteria["rules"]
    ):
        raise ValueError("criteria needs a non-empty list of rules")
    if str(criteria.get("logic", "AND")).upper() not in LOGICS or depth > MAX_DEPTH:
        raise ValueError("logic is AND or OR (groups nest at most 4 deep)")
    for rule in criteria["rules"]:
        if isinstance(rule, Mapping) and "rules" in rule:
            check_criteria(rule, depth + 1)
        elif not isinstance(rule, Mapping) or not isinstance(rule.get("field"), str) or "value" not in rule:
            raise ValueError("each rule has a field, an operator and a value")
        elif rule.get("operator") not in OPERATORS:
            raise ValueError(f"unknown operator {rule.get('operator')!r}; use one of {sorted(OPERATORS)}")


def matches(criteria: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether ``facts`` meet ``criteria`` (a missing field meets no rule)."""
    results = [
        matches(rule, facts) if "rules" in rule else _rule(rule, facts) for rule in criteria.get("rules", [])
    ]
    return all(results) if str(criteria.get("logic", "AND")).upper() == "AND" else any(results)


def _rule(rule: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    if rule["field"] not in facts:
        return False
    return bool(OPERATORS[rule["operator"]](facts[rule["field"]], rule["value"]))


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:64] or "segment"


def save_segment(store: Store, name: str, criteria: Dict[str, Any], auto_assign: bool = True,
                 update_frequency: str = "daily") -> Dict[str, Any]:  # fmt: skip
    """Creates or replaces the segment called ``name``."""
    check_criteria(criteria)
    with store.session() as s:
        row = s.get(Segment, slug(name))
        if row is None:
            row = Segment(id=slug(name))
            s.add(row)
        row.name, row.criteria, row.auto_assign, row.update_frequency = (
            name,
            criteria,
            auto_assign,
            update_frequency,
        )
        row.updated_at = utcnow()
        s.flush()
        return segment_view(row)


def segment_view(row: Segment) -> Dict[str, Any]:
    return {"segment_id": row.id, "name": row.name, "criteria": row.criteria, "auto_assign": row.auto_assign,
            "update_frequency": row.update_frequency, "builtin": False}  # fmt: skip


def all_segments(store: Store) -> List[Dict[str, Any]]:
    builtin = [{"segment_id": key, **spec, "auto_assign": True, "update_frequency": "live", "builtin": True}
               for key, spec in BUILTIN.items()]  # fmt: skip
    with store.session() as s:
        return builtin + [segment_view(row) for row in s.scalars(sa.select(Segment).order_by(Segment.id))]


def segments_for(store: Store, facts: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The segments (auto-assigned ones) whose criteria ``facts`` meet."""
    found = []
    for segment in all_segments(store):
        if segment["auto_assign"] and matches(segment["criteria"], facts):
            found.append({"segment_id": segment["segment_id"], "name": segment["name"], "confidence": 1.0,
                          "characteristics": sorted({r.get("field", "group") for r in segment["criteria"]["rules"]})})  # fmt: skip
    return found
