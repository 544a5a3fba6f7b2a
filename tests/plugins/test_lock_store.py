from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from rasa.core.lock_store import InMemoryLockStore

from assistant.plugins.lock_store import AtomicRedisLockStore, ConfiguredLockStore, redis_lock_store
from tests.conftest import REDIS_URL


def test_without_redis_url_the_lock_store_is_in_memory(monkeypatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    from assistant import settings

    settings.get_settings.cache_clear()
    assert isinstance(ConfiguredLockStore(), InMemoryLockStore)
    assert isinstance(ConfiguredLockStore(redis_url=REDIS_URL), AtomicRedisLockStore)


def test_concurrent_processes_never_draw_the_same_ticket() -> None:
    prefix, conversation = f"t{uuid.uuid4().hex[:8]}", "same-sender"
    stores = [redis_lock_store(REDIS_URL, prefix) for _ in range(8)]  # one per "process"

    def draw(i: int) -> int:
        return stores[i % len(stores)].issue_ticket(conversation)

    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(draw, range(200)))
    assert sorted(tickets) == list(range(200))
    for ticket in tickets:
        stores[0].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None, "the lock is deleted once nobody waits"


def test_the_ticket_holder_goes_first_and_the_next_waits() -> None:
    store = redis_lock_store(REDIS_URL, f"t{uuid.uuid4().hex[:8]}")
    first, second = store.issue_ticket("c"), store.issue_ticket("c")
    lock = store.get_lock("c")
    assert not lock.is_locked(first) and lock.is_locked(second)
    store.cleanup("c", first)
    assert not store.get_lock("c").is_locked(second)
