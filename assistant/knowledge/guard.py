"""Text that tries to steer the assistant instead of informing it: prompt injection in a
customer's message or hidden in a knowledge-base article, and requests for another person's
data. Both are refused before any LLM sees them; the LLM never has customer data anyway."""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(instructions?|rules|prompts?|guidelines|"
    r"directives)\b"
    r"|\b(system prompt|developer mode|jailbreak|DAN mode)\b"
    r"|\byou are now\b|\bpretend (to be|you are)\b|\bact as (an?|the) (admin|administrator|developer|agent)\b"
    r"|\b(reveal|print|repeat|show)\b[^.\n]{0,30}\b(prompt|instructions)\b"
    r"|<\s*/?\s*(system|assistant|instructions?)\s*>|\[\s*(system|INST)\s*\]",
    re.IGNORECASE,
)
# Asking for personal data of a given order or customer ("the address on order 48213", "the
# phone number of customer 2") or of other people: only the verified flows show an order, and
# only to its owner. "How do I change the e-mail on my account?" is a fair question.
_DATA_REQUEST = re.compile(
    r"\b(address|phone|e-?mail|postcode|zip|card|name|details|data|info(rmation)?)\b[^.\n]{0,40}"
    r"\b(order|customer|account|user)\s*(#|no\.?|number)?\s*[A-Za-z]*-?\d+"
    r"|\b(other|another|someone else'?s?|all( the)?|every) (customers?|users?|accounts?|people)\b"
    r"|\b(customer|user)s?'? (list|database|records)\b",
    re.IGNORECASE,
)


def is_injection(text: str) -> bool:
    """Whether ``text`` tries to change the assistant's instructions or role."""
    return bool(text) and bool(_INJECTION.search(text))


def asks_for_personal_data(text: str) -> bool:
    """Whether ``text`` asks for personal data attached to an order, account or other customer."""
    return bool(text) and bool(_DATA_REQUEST.search(text))
