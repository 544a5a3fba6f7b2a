"""Text that tries to steer the assistant instead of informing it: prompt injection in a
customer's message or hidden in a knowledge-base article, and requests for another person's
data. Both are refused before any LLM sees them; the LLM never has customer data anyway."""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(instructions?|rules|prompts?|guidelines|"
    r"above|previous|system)\b"
    r"|\b(system prompt|developer mode|jailbreak|DAN mode)\b"
    r"|\byou are now\b|\bpretend (to be|you are)\b|\bact as (an?|the) (admin|administrator|developer|agent)\b"
    r"|\b(reveal|print|repeat|show)\b[^.\n]{0,30}\b(prompt|instructions)\b"
    r"|<\s*/?\s*(system|assistant|instructions?)\s*>|\[\s*(system|INST)\s*\]",
    re.IGNORECASE,
)
# Asking for personal data of an order or customer ("the address on order 48213", "what is
# jane's phone number"): only the verified flows may show an order, and only to its owner.
_DATA_REQUEST = re.compile(
    r"\b(address|phone( number)?|e-?mail|postcode|zip|card|name|details)\b[^.\n]{0,40}"
    r"\b(on|of|for|from|in)\b[^.\n]{0,20}\b(order|customer|account|user)\b"
    r"|\b(other|another|someone else'?s?|all) (customers?|users?|accounts?)\b",
    re.IGNORECASE,
)


def is_injection(text: str) -> bool:
    """Whether ``text`` tries to change the assistant's instructions or role."""
    return bool(text) and bool(_INJECTION.search(text))


def asks_for_personal_data(text: str) -> bool:
    """Whether ``text`` asks for personal data attached to an order, account or other customer."""
    return bool(text) and bool(_DATA_REQUEST.search(text))
