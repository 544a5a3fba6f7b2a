"""``/api/personalization``: customers' profiles, recommendations, behaviour events and
rule-based segments for staff (seed 000, Personalization Endpoints)."""

from __future__ import annotations

from typing import Any, Dict

from sanic import Blueprint
from sanic.response import HTTPResponse

from admin_api.blueprints.access import PERSONALIZATION_READ, PERSONALIZATION_WRITE
from admin_api.errors import ValidationFailed
from admin_api.memory_service import resolve_customer, storable
from admin_api.routing import Call, endpoint
from admin_api.schemas import array, boolean, integer, obj, string
from admin_api.validation import optional_datetime
from assistant.personalization import profile as profiles
from assistant.personalization import segments
from assistant.personalization.recommendations import TYPES, recommend

USER_ID = string(
    1, 64, pattern=r"^[A-Za-z0-9_.:@~-]+$", description="a customer id, or a customer's account id"
)
RECOMMEND = obj({"user_id": USER_ID, "types": array(string(enum=TYPES), 4, unique=True), "limit": integer(1, 20),
                 "context": obj({"current_conversation": string(1, 255), "recent_topics": array(string(1, 40), 10),
                                 "user_mood": string(enum=("positive", "neutral", "negative", "frustrated"))})},
                ["user_id"])  # fmt: skip
EVENT = obj({"user_id": USER_ID, "event_type": string(1, 40, pattern=r"^[a-z][a-z0-9_.]*$"),
             "event_data": {"type": "object", "maxProperties": 30}, "timestamp": string(fmt="date-time"),
             "session_id": string(1, 255)}, ["user_id", "event_type"])  # fmt: skip
RULE = {"type": "object", "maxProperties": 5}
SEGMENT = obj({"segment_name": string(1, 120, pattern=r"[A-Za-z0-9]"),
               "criteria": obj({"rules": array(RULE, 20), "logic": string(enum=("AND", "OR"))}, ["rules"]),
               "auto_assign": boolean(), "update_frequency": string(enum=("live", "hourly", "daily", "weekly"))},
              ["segment_name", "criteria"])  # fmt: skip


def blueprint() -> Blueprint:
    bp = Blueprint("personalization")

    @endpoint(bp, "GET", "/api/personalization/user-profile/<user_id:str>", summary="A customer's profile",
              access=PERSONALIZATION_READ)  # fmt: skip
    async def user_profile(call: Call) -> HTTPResponse:
        """Tier, language, communication style, topics, satisfaction trend and segments."""
        s = call.services
        customer_id = await s.run(resolve_customer, s.store, call.params["user_id"])
        profile = await s.run(profiles.load_profile, s.store, customer_id)
        return call.ok(await s.run(profiles.profile_view, s.store, profile))

    @endpoint(bp, "POST", "/api/personalization/recommendations", summary="Recommendations for a customer",
              access=PERSONALIZATION_READ, body=RECOMMEND)  # fmt: skip
    async def recommendations(call: Call) -> HTTPResponse:
        s, b = call.services, call.body
        customer_id = await s.run(resolve_customer, s.store, b["user_id"])
        profile = await s.run(profiles.load_profile, s.store, customer_id)
        context: Dict[str, Any] = b.get("context") or {}
        found = recommend(profile, context.get("recent_topics", ()), context.get("user_mood"),
                          b.get("types") or TYPES, b.get("limit", 5))  # fmt: skip
        factors = ["user_segment", "conversation_history", "behavioral_patterns", "preferences"]
        return call.ok({"recommendations": found, "personalization_factors": factors})

    @endpoint(bp, "POST", "/api/personalization/behavior-event", summary="Record a customer's behaviour event",
              access=PERSONALIZATION_WRITE, body=EVENT, status=201)  # fmt: skip
    async def behavior_event(call: Call) -> HTTPResponse:
        """``event_data.intent`` and ``event_data.sentiment_score`` (-1..1) feed the profile."""
        s, b = call.services, call.body
        storable(b.get("event_data"), "event_data")
        customer_id = await s.run(resolve_customer, s.store, b["user_id"])
        try:
            when = optional_datetime(b.get("timestamp"))
        except ValueError as exc:
            raise ValidationFailed([{"field": "timestamp", "message": str(exc)}]) from exc
        view = await s.run(profiles.record_event, s.store, customer_id, b["event_type"], b.get("event_data") or {},
                           b.get("session_id"), when)  # fmt: skip
        return call.ok(view, 201)

    @endpoint(bp, "POST", "/api/personalization/segmentation", summary="Create or update a segment",
              access=PERSONALIZATION_WRITE, body=SEGMENT, status=201)  # fmt: skip
    async def segmentation(call: Call) -> HTTPResponse:
        """Rules are ``{field, operator, value}`` (or nested ``{rules, logic}`` groups) joined by
        ``logic`` (AND, OR); operators: =, !=, >, >=, <, <=, in, not_in, contains."""
        s, b = call.services, call.body
        storable(b["criteria"], "criteria")
        try:
            segments.check_criteria(b["criteria"])
        except ValueError as exc:
            raise ValidationFailed([{"field": "criteria", "message": str(exc)}]) from exc
        saved = await s.run(segments.save_segment, s.store, b["segment_name"], b["criteria"],
                            b.get("auto_assign", True), b.get("update_frequency", "daily"))  # fmt: skip
        return call.ok(saved, 201)

    @endpoint(bp, "GET", "/api/personalization/segments", summary="Every segment, built-in and stored",
              access=PERSONALIZATION_READ)  # fmt: skip
    async def list_segments(call: Call) -> HTTPResponse:
        return call.ok(await call.services.run(segments.all_segments, call.services.store))

    return bp
