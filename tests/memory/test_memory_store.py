"""Long-term memories on SQLite and PostgreSQL, and their cache on the machine's real Redis:
upsert by key, last used noted, every write drops the cached entry, Redis down is only a miss."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest
import redis

from assistant.identity.permissions import IdentityState, Level
from assistant.memory import Memories, owner
from assistant.memory.cache import MemoryCache
from assistant.settings import Settings
from assistant.store import NotFound, Store
from tests.conftest import REDIS_URL


@pytest.fixture
def cache() -> Iterator[MemoryCache]:
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"memtest{uuid.uuid4().hex[:8]}"
    yield MemoryCache(client, prefix, ttl_seconds=60)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_only_a_verified_customer_owns_memories() -> None:
    assert owner(IdentityState(1, Level.VERIFIED)) == 1
    assert owner(IdentityState(1, Level.CLAIMED)) is None and owner(IdentityState()) is None


def test_a_key_holds_one_value_per_customer_with_its_metadata(store: Store) -> None:
    memories = Memories(store)
    first = memories.remember(1, "preferred_shipping", "standard", importance=0.4)
    second = memories.remember(1, "preferred_shipping", "express", importance=0.7, source="staff")
    memories.remember(2, "preferred_shipping", "standard")
    assert first.id == second.id and second.value == "express" and second.source == "staff"
    known = memories.recall(1)
    assert known["preferred_shipping"].value == "express" and known["preferred_shipping"].importance == 0.7
    assert memories.get(second.id).last_used_at is not None, "a recall notes when it was used"
    public = memories.get(second.id).public()
    assert public["id"] == f"mem-{second.id}" and set(public["metadata"]) >= {"importance", "source",
                                                                              "created_at", "last_accessed"}  # fmt: skip
    items, total = memories.search(customer_id=1)
    assert total == 1 and items[0].key == "preferred_shipping"
    memories.update(second.id, {"value": {"speed": "express"}, "importance": 0.9})
    assert memories.recall(1)["preferred_shipping"].value == {"speed": "express"}
    memories.delete(second.id)
    with pytest.raises(NotFound):
        memories.get(second.id)
    assert memories.forget_customer(2) == 1 and memories.recall(2) == {}


def test_reads_come_from_redis_and_writes_drop_the_entry(sqlite_store: Store, cache: MemoryCache) -> None:
    memories = Memories(sqlite_store, cache)
    memories.remember(1, "name", "Jane")
    assert cache.get(1) is None, "a write drops the customer's entry"
    assert memories.recall(1)["name"].value == "Jane"
    cached = cache.get(1)
    assert cached is not None and cached[0]["key"] == "name"
    cache.put(1, [{**cached[0], "value": "from the cache"}])
    assert memories.recall(1)["name"].value == "from the cache", "the read was served by Redis"
    memories.remember(1, "language", "es")
    assert cache.get(1) is None
    assert {k: v.value for k, v in memories.recall(1).items()} == {"name": "Jane", "language": "es"}
    memories.forget_customer(1)
    assert cache.get(1) is None and memories.recall(1) == {}


def test_memory_keeps_working_when_redis_is_down(sqlite_store: Store) -> None:
    down = MemoryCache(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), "x")
    memories = Memories(sqlite_store, down)
    memories.remember(3, "name", "Mei")
    assert memories.recall(3)["name"].value == "Mei"


def test_the_cache_exists_only_with_redis_configured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert MemoryCache.from_settings(Settings(var_dir=tmp_path)) is None
    configured = MemoryCache.from_settings(
        Settings(var_dir=tmp_path, redis_url=REDIS_URL, memory_cache_prefix="p")
    )
    assert configured is not None and configured.key(7) == "p:7"
