from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List

import pytest
from rasa.core.lock_store import InMemoryLockStore

from assistant import settings as settings_module
from assistant.plugins.lock_store import AtomicRedisLockStore, ConfiguredLockStore, redis_lock_store
from tests.chaos.services import EphemeralRedis
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


# --- reliability: a Redis that restarts ---------------------------------------------------------


@pytest.fixture
def own_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[EphemeralRedis]:
    """A Redis of this test's own, which it may kill; retries give up after 2 s."""
    monkeypatch.setenv("STORE_RETRY_SECONDS", "2")
    settings_module.get_settings.cache_clear()
    server = EphemeralRedis().start()
    yield server
    server.stop()
    settings_module.get_settings.cache_clear()


def test_a_message_waits_through_a_redis_restart_instead_of_failing(own_redis: EphemeralRedis) -> None:
    store = redis_lock_store(own_redis.url, "t")
    own_redis.kill()
    threading.Timer(0.5, own_redis.start).start()

    async def turn() -> bool:
        async with store.lock("c", wait_time_in_seconds=0.05) as lock:
            return lock is not None

    assert asyncio.run(turn())


def test_a_lock_lost_in_a_redis_restart_is_drawn_again(own_redis: EphemeralRedis) -> None:
    store = redis_lock_store(own_redis.url, "t")

    async def scenario() -> List[str]:
        order: List[str] = []

        async def second() -> None:
            async with store.lock("c", wait_time_in_seconds=0.05):
                order.append("second")

        async with store.lock("c"):
            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.2)
            own_redis.kill()
            own_redis.start()  # empty: the lock and both tickets are gone
            await asyncio.wait_for(waiting, 5)
            order.append("first done")
        return order

    assert asyncio.run(scenario()) == ["second", "first done"]


def test_a_finished_turn_does_not_fail_when_its_lock_cannot_be_released(
    own_redis: EphemeralRedis, caplog: pytest.LogCaptureFixture
) -> None:
    store = redis_lock_store(own_redis.url, "t")

    async def turn() -> str:
        async with store.lock("c"):
            own_redis.kill()
            return "replied"

    assert asyncio.run(turn()) == "replied"
    assert "expires by itself" in caplog.text
