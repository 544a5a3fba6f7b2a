"""The LLM: one client (client.py) over any OpenAI-compatible endpoint, its circuit breaker,
the record of its calls (records.py) and the prompts of the tasks it does (prompts.py)."""

from assistant.llm.client import CallRecord, Deadline, LLMClient

__all__ = ["CallRecord", "Deadline", "LLMClient"]
