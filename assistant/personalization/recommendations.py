"""Rule-based recommendations from a customer's profile (topics, tier, mood): help content,
features and self-service, each with why it is recommended (``POST
/api/personalization/recommendations``, seed 000)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from assistant.personalization.profile import Profile

TYPES = ("content", "feature", "self_service", "support")
TOPIC_ITEMS: Dict[str, Dict[str, Any]] = {
    "orders": {"type": "self_service", "title": "Track your orders", "description": "See where every order is, with tracking links", "url": "/account/orders"},
    "shipping": {"type": "content", "title": "Shipping options and times", "description": "Carriers, costs and delivery times", "url": "/help/shipping"},
    "returns": {"type": "self_service", "title": "Start a return", "description": "Return an item within 30 days for a full refund", "url": "/help/returns"},
    "billing": {"type": "content", "title": "Billing FAQ", "description": "Common billing questions and answers", "url": "/help/billing-faq"},
    "plans": {"type": "feature", "title": "Compare plans", "description": "What basic, premium and enterprise include", "url": "/plans"},
    "account": {"type": "self_service", "title": "Account settings", "description": "Change your details, password and privacy settings", "url": "/account"},
    "complaints": {"type": "support", "title": "Talk to our team", "description": "A member of our support team follows up on your complaint", "url": "/help/contact"},
}  # fmt: skip
PRIORITY = {"type": "feature", "title": "Priority support line", "description": "Your tier is answered first by our team", "url": "/help/priority"}  # fmt: skip
UPGRADE = {"type": "feature", "title": "Premium plan", "description": "Priority handling and free express shipping", "url": "/plans/premium"}  # fmt: skip
HUMAN = {"type": "support", "title": "Talk to a person", "description": "Skip the bot and reach our support team", "url": "/help/contact"}  # fmt: skip


def recommend(profile: Profile, recent_topics: Sequence[str] = (), mood: Optional[str] = None,
              types: Sequence[str] = TYPES, limit: int = 5) -> List[Dict[str, Any]]:  # fmt: skip
    """Recommendations, most relevant first: the customer's mood, then recent and usual topics,
    then what their tier offers."""
    found: List[Dict[str, Any]] = []
    if mood in ("negative", "frustrated") or profile.satisfaction_trend == "declining":
        found.append(_item(HUMAN, 0.97, "You seem unhappy with how things are going"))
    for topic in recent_topics:
        if topic in TOPIC_ITEMS:
            found.append(_item(TOPIC_ITEMS[topic], 0.94, f"Based on your recent {topic} questions"))
    usual = sorted(profile.topics, key=lambda t: -profile.topics[t])
    for rank, topic in enumerate(usual[:3]):
        if topic in TOPIC_ITEMS:
            found.append(_item(TOPIC_ITEMS[topic], 0.85 - 0.05 * rank, f"You often ask about {topic}"))
    if profile.priority_support:
        found.append(_item(PRIORITY, 0.8, f"Included in your {profile.tier} tier"))
    elif profile.total_orders >= 3:
        found.append(_item(UPGRADE, 0.6, "Frequent shoppers save with free express shipping"))
    unique: Dict[str, Dict[str, Any]] = {}
    for item in found:
        if item["type"] in types and item["title"] not in unique:
            unique[item["title"]] = item
    return list(unique.values())[:limit]


def _item(spec: Dict[str, Any], score: float, reason: str) -> Dict[str, Any]:
    action = {"type": "link", "label": f"Open {spec['title'].lower()}", "url": spec["url"]}
    return {"type": spec["type"], "title": spec["title"], "description": spec["description"],
            "relevance_score": round(score, 2), "reason": reason, "actions": [action]}  # fmt: skip
