"""Long-term memory of verified customers (ARCHITECTURE.md: assistant/memory).

- :mod:`~assistant.memory.store`: key/value memories in SQL (type, importance, source, created,
  last used), read through the Redis cache of :mod:`~assistant.memory.cache` when configured.
- :mod:`~assistant.memory.summary`: a finished session summarised into memories, by rules over
  the tracker's events (an optional summariser, e.g. an LLM, may write the prose summary).

Memories attach only to a customer the conversation proved (``owner``): never to a claim.
"""

from assistant.memory.store import Memories, MemoryItem, owner

__all__ = ["MemoryItem", "Memories", "owner"]
