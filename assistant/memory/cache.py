"""A Redis cache of each customer's memories (``<prefix>:<customer id>`` -> JSON list).

The cache is an optimisation only: SQL is the truth, every write drops the customer's entry,
and a Redis error is logged and read as a miss, so memory keeps working without Redis."""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional

import redis

from assistant.settings import Settings

logger = logging.getLogger(__name__)


class MemoryCache:
    """Cached memory lists of customers, with a time to live."""

    def __init__(self, client: redis.Redis, prefix: str = "memory", ttl_seconds: int = 3600) -> None:
        self.client, self.prefix, self.ttl = client, prefix, ttl_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> Optional[MemoryCache]:
        """The cache on ``REDIS_URL``, or None when Redis is not configured."""
        if not settings.redis_url:
            return None
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return cls(client, settings.memory_cache_prefix, settings.memory_cache_seconds)

    def key(self, customer_id: int) -> str:
        return f"{self.prefix}:{customer_id}"

    def get(self, customer_id: int) -> Optional[List[Dict[str, Any]]]:
        try:
            raw = self.client.get(self.key(customer_id))
        except redis.RedisError as exc:
            logger.warning("memory cache unavailable (%s): reading SQL", exc)
            return None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, list) else None

    def put(self, customer_id: int, items: List[Dict[str, Any]]) -> None:
        try:
            self.client.set(self.key(customer_id), json.dumps(items, default=str), ex=self.ttl)
        except redis.RedisError as exc:
            logger.warning("memory cache unavailable (%s): not cached", exc)

    def drop(self, customer_id: int) -> None:
        try:
            self.client.delete(self.key(customer_id))
        except redis.RedisError as exc:
            logger.warning("memory cache unavailable (%s): entry not dropped", exc)
