"""The LLM's second task: which of the domain's intents a message the NLU is unsure about
means. Its answer only changes what the two-stage fallback suggests ("Do you want to ...?"):
the customer still confirms before any flow starts."""

from __future__ import annotations

from typing import Dict, Optional

from assistant.knowledge.guard import is_injection
from assistant.llm.client import Deadline, LLMClient
from assistant.llm.prompts import classify_messages, parsed_intent


async def classify_intent(llm: LLMClient, text: str, intents: Dict[str, str],
                          deadline: Optional[Deadline] = None,
                          conversation_id: Optional[str] = None) -> Optional[str]:  # fmt: skip
    """One of ``intents`` (name: meaning), or ``None`` (no LLM, no fit, failure, injection)."""
    if not llm.configured or not text.strip() or is_injection(text):
        return None
    reply = await llm.chat(
        classify_messages(text, intents), "classify", deadline, conversation_id, max_tokens=10
    )
    return parsed_intent(reply, intents)
