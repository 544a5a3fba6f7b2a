"""A profile per customer: tier (from the store), language, communication style, topics,
satisfaction trend (from message sentiment) and segments; behaviour events feed it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from assistant.personalization.segments import segments_for
from assistant.personalization.sentiment import trend
from assistant.store import NotFound, Store
from assistant.store.memory_models import BehaviorEvent, CustomerProfile, Memory
from assistant.store.models import Customer, Order, Subscription, utcnow

PRIORITY_TIERS = ("gold", "platinum", "premium", "enterprise")
LANGUAGES = ("en", "es", "de", "fr")
STYLES = ("neutral", "formal", "casual")
KEPT_SENTIMENTS = 20
TOPIC_OF_INTENT = {
    "order_status": "orders", "cancel_order": "orders", "shipping_info": "shipping", "return_item": "returns",
    "refund_status": "returns", "billing_issue": "billing", "update_payment": "billing",
    "cancel_subscription": "plans", "change_plan": "plans", "reset_password": "account",
    "update_account": "account", "delete_account": "account", "complaint": "complaints", "faq": "general",
}  # fmt: skip
FORMAL = re.compile(r"\b(please|kindly|would you|could you|thank you|regards|dear|sincerely)\b", re.I)
CASUAL = re.compile(
    r"\b(hey|hiya|yo|thx|thanks!|lol|gonna|wanna|pls|plz|cool|yeah|yep)\b|[\U0001F600-\U0001F64F]", re.I
)
LANGUAGE_WORDS = {
    "es": re.compile(r"\b(hola|gracias|pedido|por favor|dónde|buenos días)\b", re.I),
    "de": re.compile(r"\b(hallo|danke|bestellung|bitte|wo ist|guten tag)\b", re.I),
    "fr": re.compile(r"\b(bonjour|merci|commande|s'il vous plaît|où est)\b", re.I),
}


@dataclass
class Profile:
    customer_id: int
    name: str
    tier: str
    priority_support: bool
    language: str = "en"
    communication_style: str = "neutral"
    topics: Dict[str, int] = field(default_factory=dict)
    sentiments: List[float] = field(default_factory=list)
    sessions: int = 0
    total_orders: int = 0
    open_issues: int = 0
    updated_at: Optional[datetime] = None

    @property
    def satisfaction_trend(self) -> str:
        return trend(self.sentiments)

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]

    def facts(self) -> Dict[str, Any]:
        """What segment rules can test."""
        average = sum(self.sentiments) / len(self.sentiments) if self.sentiments else 0.0
        return {"customer_tier": self.tier, "tier": self.tier, "priority_support": self.priority_support,
                "language": self.language, "communication_style": self.communication_style,
                "topics": sorted(self.topics), "total_conversations": self.sessions,
                "satisfaction_trend": self.satisfaction_trend, "average_sentiment": round(average, 4),
                "total_orders": self.total_orders, "open_issues": self.open_issues}  # fmt: skip


def tier_of(customer: Customer, plan: Optional[str]) -> str:
    """A paid plan above basic names the tier; otherwise the customer's loyalty tier."""
    return plan if plan in ("premium", "enterprise") else (customer.tier or "standard")


def load_profile(store: Store, customer_id: int) -> Profile:
    with store.session() as s:
        customer = s.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id} not found")
        plan = s.scalar(sa.select(Subscription.plan).where(Subscription.customer_id == customer_id,
                                                            Subscription.status == "active"))  # fmt: skip
        orders = s.scalar(sa.select(sa.func.count(Order.id)).where(Order.customer_id == customer_id)) or 0
        issues = s.scalar(
            sa.select(Memory.value).where(Memory.customer_id == customer_id, Memory.key == "open_issues")
        )
        tier = tier_of(customer, plan)
        profile = Profile(customer_id, customer.name, tier, tier in PRIORITY_TIERS, total_orders=int(orders),
                          open_issues=len(issues) if isinstance(issues, list) else 0)  # fmt: skip
        row = s.get(CustomerProfile, customer_id)
        if row is not None:
            profile.language, profile.communication_style = row.language, row.communication_style
            profile.topics, profile.sentiments = dict(row.topics or {}), list(row.sentiments or [])
            profile.sessions, profile.updated_at = row.sessions, row.updated_at
        return profile


def update_profile(store: Store, customer_id: int, *, topics: Optional[Dict[str, int]] = None,
                   sentiments: Optional[List[float]] = None, language: Optional[str] = None,
                   style: Optional[str] = None, new_session: bool = False) -> None:  # fmt: skip
    """Folds what a session (or an event) showed into the customer's profile."""
    with store.session() as s:
        row = s.get(CustomerProfile, customer_id)
        if row is None:
            row = CustomerProfile(customer_id=customer_id, language="en", communication_style="neutral",
                                  topics={}, sentiments=[], segments=[], sessions=0)  # fmt: skip
            s.add(row)
        counts = dict(row.topics or {})
        for topic, times in (topics or {}).items():
            counts[topic] = counts.get(topic, 0) + times
        row.topics = counts
        row.sentiments = (list(row.sentiments or []) + list(sentiments or []))[-KEPT_SENTIMENTS:]
        row.language = language if language in LANGUAGES else row.language
        row.communication_style = style if style in STYLES else row.communication_style
        row.sessions = (row.sessions or 0) + (1 if new_session else 0)
        row.updated_at = utcnow()


def detect_style(texts: List[str]) -> Optional[str]:
    """``formal``, ``casual``, or None when the messages don't tell."""
    formal = sum(bool(FORMAL.search(t)) for t in texts)
    casual = sum(bool(CASUAL.search(t)) for t in texts)
    if formal == casual:
        return None
    return "formal" if formal > casual else "casual"


def detect_language(texts: List[str]) -> Optional[str]:
    """A language other than English when its common words are used (rules, no model)."""
    for code, words in LANGUAGE_WORDS.items():
        if sum(bool(words.search(t)) for t in texts) >= 1:
            return code
    return None


def record_event(store: Store, customer_id: int, event_type: str, event_data: Dict[str, Any],
                 session_id: Optional[str] = None, when: Optional[datetime] = None) -> Dict[str, Any]:  # fmt: skip
    """Stores a behaviour event; its sentiment and intent feed the profile."""
    load_profile(store, customer_id)  # 404 for an unknown customer
    view = store_event(store, customer_id, event_type, event_data, session_id, when)
    topic = TOPIC_OF_INTENT.get(str(event_data.get("intent")))
    score = event_data.get("sentiment_score")
    update_profile(store, customer_id, topics={topic: 1} if topic else None,
                   sentiments=[float(score)] if isinstance(score, (int, float)) else None)  # fmt: skip
    return view


def store_event(store: Store, customer_id: int, event_type: str, event_data: Dict[str, Any],
                session_id: Optional[str] = None, when: Optional[datetime] = None) -> Dict[str, Any]:  # fmt: skip
    """Stores a behaviour event as it is (the profile is not changed)."""
    with store.session() as s:
        row = BehaviorEvent(customer_id=customer_id, event_type=event_type, event_data=event_data,
                            session_id=session_id, created_at=when or utcnow())  # fmt: skip
        s.add(row)
        s.flush()
        return {"id": row.id, "user_id": str(customer_id), "event_type": event_type, "event_data": event_data,
                "session_id": session_id, "timestamp": row.created_at.isoformat() + "Z"}  # fmt: skip


def assign_segments(store: Store, customer_id: int) -> List[str]:
    """Stores the segments the customer's profile falls in now (and returns their ids)."""
    ids = [found["segment_id"] for found in segments_for(store, load_profile(store, customer_id).facts())]
    with store.session() as s:
        row = s.get(CustomerProfile, customer_id)
        if row is not None:
            row.segments = ids
    return ids


def profile_view(store: Store, profile: Profile) -> Dict[str, Any]:
    """The shape of ``GET /api/personalization/user-profile/:user_id`` (seed 000)."""
    segments = segments_for(store, profile.facts())
    escalation = "high" if profile.satisfaction_trend == "declining" else "low"
    topics = sorted(profile.topics, key=lambda t: -profile.topics[t])
    return {"user_id": str(profile.customer_id), "customer_id": profile.customer_id,
            "profile": {"tier": profile.tier, "priority_support": profile.priority_support,
                        "behavioral": {"preferred_language": profile.language,
                                       "communication_style": profile.communication_style,
                                       "sessions": profile.sessions},
                        "preferences": {"topics": topics}},
            "segments": segments,
            "insights": {"satisfaction_trend": profile.satisfaction_trend, "escalation_risk": escalation,
                         "recent_sentiment": profile.sentiments[-5:]}}  # fmt: skip
