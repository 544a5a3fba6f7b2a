"""State the web channel shares between sockets: participants of each conversation, its owner
and status, and message-rate windows. In memory for one Rasa process; in Redis (``REDIS_URL``)
so that several processes behind the Redis lock store see the same conversations.

Open connections per client address are counted per process (:class:`ConnectionCounter`).
"""

from __future__ import annotations

import functools
import json
import time
from collections import OrderedDict, defaultdict, deque
from typing import Any, Callable, Coroutine, Deque, Dict, List, Optional, ParamSpec, Protocol, TypeVar

from assistant.retry import retry_async
from channels.auth import Identity

T = TypeVar("T")
P = ParamSpec("P")

PARTICIPANT_TTL = 24 * 3600
CONVERSATION_TTL = 30 * 24 * 3600
MEMORY_CAPACITY = 100_000


class ChannelState(Protocol):
    """What the hub needs to know about conversations across sockets and processes."""

    async def add_participant(self, conversation_id: str, sid: str, identity: Identity) -> None: ...

    async def remove_participant(self, conversation_id: str, sid: str) -> None: ...

    async def participants(self, conversation_id: str) -> List[Dict[str, str]]: ...

    async def owner(self, conversation_id: str) -> Optional[str]: ...

    async def claim_owner(self, conversation_id: str, user_id: str) -> str: ...

    async def swap_status(self, conversation_id: str, status: str) -> Optional[str]: ...

    async def status(self, conversation_id: str) -> Optional[str]: ...

    async def hit(self, key: str, limit: int, window: float) -> Optional[float]: ...

    async def close(self) -> None: ...


def unique_people(entries: List[Dict[str, str]]) -> List[Dict[str, str]]:
    """One entry per user id (a customer in two tabs is one participant)."""
    seen: Dict[str, Dict[str, str]] = {}
    for entry in entries:
        seen.setdefault(entry["id"], entry)
    return list(seen.values())


class _Bounded(OrderedDict):
    """A dict that forgets its oldest keys beyond ``MEMORY_CAPACITY``."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > MEMORY_CAPACITY:
            self.popitem(last=False)


class MemoryState:
    """:class:`ChannelState` of a single process."""

    def __init__(self) -> None:
        self._participants: Dict[str, Dict[str, Dict[str, str]]] = defaultdict(dict)
        self._owners: Dict[str, str] = _Bounded()
        self._statuses: Dict[str, str] = _Bounded()
        self._windows: Dict[str, Deque[float]] = _Bounded()

    async def add_participant(self, conversation_id: str, sid: str, identity: Identity) -> None:
        self._participants[conversation_id][sid] = identity.public()

    async def remove_participant(self, conversation_id: str, sid: str) -> None:
        people = self._participants.get(conversation_id, {})
        people.pop(sid, None)
        if not people:
            self._participants.pop(conversation_id, None)

    async def participants(self, conversation_id: str) -> List[Dict[str, str]]:
        return unique_people(list(self._participants.get(conversation_id, {}).values()))

    async def owner(self, conversation_id: str) -> Optional[str]:
        return self._owners.get(conversation_id)

    async def claim_owner(self, conversation_id: str, user_id: str) -> str:
        if conversation_id not in self._owners:
            self._owners[conversation_id] = user_id
        return self._owners[conversation_id]

    async def swap_status(self, conversation_id: str, status: str) -> Optional[str]:
        previous = self._statuses.get(conversation_id)
        self._statuses[conversation_id] = status
        return previous

    async def status(self, conversation_id: str) -> Optional[str]:
        return self._statuses.get(conversation_id)

    async def hit(self, key: str, limit: int, window: float) -> Optional[float]:
        """Counts one event; returns seconds to wait when more than ``limit`` fell in ``window``."""
        now = time.monotonic()
        stamps = self._windows.get(key) or deque()
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= limit:
            self._windows[key] = stamps
            return max(stamps[0] + window - now, 0.001)
        stamps.append(now)
        self._windows[key] = stamps
        return None

    async def close(self) -> None:
        return None


def _retried(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A Redis call retried on lost connections within the turn's budget (assistant/retry.py),
    so a Redis restart costs a delay, not an error."""

    @functools.wraps(method)
    async def retried(*args: P.args, **kwargs: P.kwargs) -> T:
        return await retry_async(functools.partial(method, *args, **kwargs))

    return retried


class RedisState:
    """:class:`ChannelState` in Redis, shared by every Rasa process using the same prefix."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis import asyncio as aioredis

        self.redis = aioredis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{kind}:{name}"

    @_retried
    async def add_participant(self, conversation_id: str, sid: str, identity: Identity) -> None:
        key = self._key("participants", conversation_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.hset(key, sid, json.dumps(identity.public())).expire(key, PARTICIPANT_TTL).execute()

    @_retried
    async def remove_participant(self, conversation_id: str, sid: str) -> None:
        await self.redis.hdel(self._key("participants", conversation_id), sid)

    @_retried
    async def participants(self, conversation_id: str) -> List[Dict[str, str]]:
        raw = await self.redis.hvals(self._key("participants", conversation_id))
        return unique_people([json.loads(item) for item in raw])

    @_retried
    async def owner(self, conversation_id: str) -> Optional[str]:
        return await self.redis.get(self._key("owner", conversation_id))

    @_retried
    async def claim_owner(self, conversation_id: str, user_id: str) -> str:
        key = self._key("owner", conversation_id)
        await self.redis.set(key, user_id, nx=True, ex=CONVERSATION_TTL)
        return str(await self.redis.get(key) or user_id)

    @_retried
    async def swap_status(self, conversation_id: str, status: str) -> Optional[str]:
        return await self.redis.getset(self._key("status", conversation_id), status)

    @_retried
    async def status(self, conversation_id: str) -> Optional[str]:
        return await self.redis.get(self._key("status", conversation_id))

    @_retried
    async def hit(self, key: str, limit: int, window: float) -> Optional[float]:
        """Fixed-window counter: one INCR per event, the window's key expires with it."""
        now = time.time()
        bucket = int(now // window)
        redis_key = self._key("rate", f"{key}:{bucket}")
        async with self.redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(redis_key).expire(redis_key, int(window) + 1).execute()
        if count > limit:
            return max((bucket + 1) * window - now, 0.001)
        return None

    async def close(self) -> None:
        await self.redis.close()


class ConnectionCounter:
    """Open sockets per client address in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Dict[str, int] = defaultdict(int)

    def acquire(self, address: str) -> bool:
        if self._open[address] >= self.limit:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def count(self, address: str) -> int:
        return self._open.get(address, 0)
