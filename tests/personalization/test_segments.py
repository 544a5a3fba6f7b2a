"""Rule-based segments: operators, AND/OR and nested groups, bad criteria refused, stored
segments assigned next to the built-in ones."""

from __future__ import annotations

import pytest

from assistant.personalization import segments
from assistant.personalization.profile import load_profile, update_profile
from assistant.store import Store

FACTS = {"customer_tier": "gold", "total_conversations": 60, "topics": ["billing", "orders"],
         "satisfaction_trend": "declining", "average_sentiment": -0.4, "priority_support": True}  # fmt: skip


def rule(field: str, operator: str, value: object) -> dict:
    return {"field": field, "operator": operator, "value": value}


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ({"rules": [rule("total_conversations", ">", 50), rule("customer_tier", "in", ["gold", "premium"])],
          "logic": "AND"}, True),
        ({"rules": [rule("total_conversations", ">", 100), rule("customer_tier", "=", "gold")], "logic": "AND"}, False),
        ({"rules": [rule("total_conversations", ">", 100), rule("customer_tier", "=", "gold")], "logic": "OR"}, True),
        ({"rules": [rule("topics", "contains", "billing"), rule("average_sentiment", "<=", -0.3)]}, True),
        ({"rules": [rule("customer_tier", "not_in", ["gold"])]}, False),
        ({"rules": [rule("customer_tier", "!=", "silver")]}, True),
        ({"rules": [rule("no_such_field", "=", 1)]}, False),
        ({"rules": [rule("customer_tier", ">", 3)]}, False),  # a number rule on text is false, not an error
        ({"logic": "OR", "rules": [rule("customer_tier", "=", "silver"),
                                   {"logic": "AND", "rules": [rule("priority_support", "=", True),
                                                              rule("satisfaction_trend", "=", "declining")]}]}, True),
    ],
)  # fmt: skip
def test_rules_combine_with_and_or_and_groups(criteria: dict, expected: bool) -> None:
    segments.check_criteria(criteria)
    assert segments.matches(criteria, FACTS) is expected


@pytest.mark.parametrize(
    "criteria",
    [{}, {"rules": []}, {"rules": [rule("a", "~", 1)]}, {"rules": [{"field": "a"}]}, {"rules": [1]},
     {"rules": [rule("a", "=", 1)], "logic": "XOR"}],
)  # fmt: skip
def test_bad_criteria_are_refused_with_a_reason(criteria: dict) -> None:
    with pytest.raises(ValueError):
        segments.check_criteria(criteria)


def test_stored_segments_are_assigned_with_the_built_in_ones(sqlite_store: Store) -> None:
    saved = segments.save_segment(
        sqlite_store, "Billing Regulars", {"rules": [rule("topics", "contains", "billing")]}
    )
    assert saved["segment_id"] == "billing_regulars"
    update_profile(sqlite_store, 1, topics={"billing": 3}, sentiments=[0.2, 0.3], new_session=True)
    update_profile(sqlite_store, 1, new_session=True)
    facts = load_profile(sqlite_store, 1).facts()
    found = {s["segment_id"] for s in segments.segments_for(sqlite_store, facts)}
    assert {"billing_regulars", "premium_customers", "returning_customers"} <= found
    assert "at_risk" not in found
    omar = {
        s["segment_id"] for s in segments.segments_for(sqlite_store, load_profile(sqlite_store, 2).facts())
    }
    assert "billing_regulars" not in omar and "premium_customers" not in omar
