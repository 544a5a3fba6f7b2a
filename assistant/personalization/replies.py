"""How personalization changes replies: the values of the domain's personal slots for a
verified customer. They only pick and fill response variations (domain.yml): a returning
customer's greeting by name (in their language and tone), the priority offer of a human for
premium tiers, the last order offered first when asked for an order number.

Rephrasing to the customer's style (the LLM, assistant/llm/tasks.py): :func:`styled` and
:func:`styled_async` take a ``rephraser``; without one, or when it gives nothing (its facts
check failed, the LLM is unavailable), the template's text stays as written."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from assistant.memory.store import Memories, MemoryItem
from assistant.personalization.profile import Profile, load_profile

PERSONAL_SLOTS = ("customer_name", "persona", "customer_tier", "priority_support", "last_order_id",
                  "has_last_order", "language")  # fmt: skip
STYLE_PERSONAS = {"formal": "formal", "concise": "concise"}  # system setting -> persona ("friendly": none)
Rephraser = Callable[[str, str], Optional[str]]  # (text, style) -> rephrased text
AsyncRephraser = Callable[[str, str], Awaitable[Optional[str]]]
KNOWN_STYLES = ("formal", "casual")  # the communication styles a rephrasing can follow


def empty_slots(default_style: str = "friendly") -> Dict[str, Any]:
    """The personal slots of a conversation with no verified customer: only the admins'
    default response style shows (``formal`` and ``concise`` have their own greeting)."""
    return {**{name: None for name in PERSONAL_SLOTS}, "persona": STYLE_PERSONAS.get(default_style)}


def personal_slots(memories: Memories, customer_id: int, default_style: str = "friendly") -> Dict[str, Any]:
    """The personal slots of a verified customer, from their profile and memories; the admins'
    default response style holds where the customer's own tone is not known."""
    profile = load_profile(memories.store, customer_id)
    known = memories.recall(customer_id)
    name = _text(known.get("name")) or profile.first_name
    language = _text(known.get("language")) or profile.language
    last_order = known.get("last_order")
    order_id = last_order.value.get("order_id") if last_order and isinstance(last_order.value, dict) else None
    chosen = persona(profile, language, returning(profile, known), default_style)
    return {"customer_name": name, "persona": chosen,
            "customer_tier": profile.tier, "priority_support": profile.priority_support,
            "last_order_id": str(order_id) if order_id else None, "has_last_order": bool(order_id),
            "language": language}  # fmt: skip


def returning(profile: Profile, known: Dict[str, MemoryItem]) -> bool:
    """A customer we have met before: a finished session, or anything remembered about them."""
    return profile.sessions > 0 or bool(known)


def persona(
    profile: Profile, language: str, is_returning: bool, default_style: str = "friendly"
) -> Optional[str]:
    """Which greeting variation fits: ``returning`` with the language or tone, else the
    default style's (None: the friendly greeting)."""
    if not is_returning:
        return STYLE_PERSONAS.get(default_style)
    if language in ("es", "de", "fr"):
        return f"returning_{language}"
    if profile.communication_style in ("formal", "casual"):
        return f"returning_{profile.communication_style}"
    style = STYLE_PERSONAS.get(default_style)
    return f"returning_{style}" if style else "returning"


def styled(text: str, style: str, rephraser: Optional[Rephraser] = None) -> str:
    """``text`` in the customer's style when a rephraser is given (else unchanged)."""
    if rephraser is None:
        return text
    return rephraser(text, style) or text


async def styled_async(text: str, style: Optional[str], rephraser: Optional[AsyncRephraser] = None) -> str:
    """:func:`styled` with a rephraser that awaits (the LLM); a style that is not known keeps
    the template."""
    if rephraser is None or style not in KNOWN_STYLES:
        return text
    return await rephraser(text, str(style)) or text


def _text(item: Optional[MemoryItem]) -> Optional[str]:
    return item.value if item is not None and isinstance(item.value, str) and item.value else None
