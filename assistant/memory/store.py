"""Customers' long-term memories: upsert by key, read (through the cache), list, change, delete.

Reads used by the conversation (:meth:`Memories.recall`) note when each memory was last used;
every write drops the customer's cache entry so the next read comes from SQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from assistant.identity.permissions import IdentityState, Level
from assistant.memory.cache import MemoryCache
from assistant.store import NotFound, Store
from assistant.store.memory_models import Memory
from assistant.store.models import utcnow

TYPES = ("long_term", "short_term", "summary")
ID_PREFIX = "mem-"


def owner(state: IdentityState) -> Optional[int]:
    """The customer memories may attach to: only one the conversation proved (verified)."""
    return state.customer_id if state.level is Level.VERIFIED else None


@dataclass(frozen=True)
class MemoryItem:
    id: int
    customer_id: int
    type: str
    key: str
    value: Any
    importance: float
    source: str
    created_at: datetime
    updated_at: datetime
    last_used_at: Optional[datetime]

    @classmethod
    def of(cls, row: Memory) -> MemoryItem:
        return cls(row.id, row.customer_id, row.type, row.key, row.value, float(row.importance), row.source,
                   row.created_at, row.updated_at, row.last_used_at)  # fmt: skip

    def public(self) -> Dict[str, Any]:
        """The admin API's shape (seed 001: Memory Engine API)."""
        return {"id": f"{ID_PREFIX}{self.id}", "userId": str(self.customer_id), "customer_id": self.customer_id,
                "type": self.type, "key": self.key, "value": self.value,
                "metadata": {"importance": self.importance, "source": self.source,
                             "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at),
                             "last_accessed": _iso(self.last_used_at)}}  # fmt: skip

    def cached(self) -> Dict[str, Any]:
        return {
            **asdict(self),
            **{k: _iso(getattr(self, k)) for k in ("created_at", "updated_at", "last_used_at")},
        }

    @classmethod
    def from_cache(cls, data: Dict[str, Any]) -> MemoryItem:
        times = {k: _parse(data.get(k)) for k in ("created_at", "updated_at", "last_used_at")}
        return cls(**{**data, **times})


def parse_memory_id(text: str) -> Optional[int]:
    """``12`` for ``mem-12``; None for anything else."""
    digits = text[len(ID_PREFIX) :] if text.startswith(ID_PREFIX) else ""
    return int(digits) if digits.isdigit() and len(digits) < 12 else None


class Memories:
    """Memories in ``store``, cached in ``cache`` when there is one."""

    def __init__(self, store: Store, cache: Optional[MemoryCache] = None) -> None:
        self.store, self.cache = store, cache

    def remember(self, customer_id: int, key: str, value: Any, *, type: str = "long_term",
                 importance: float = 0.5, source: str = "conversation") -> MemoryItem:  # fmt: skip
        """Stores ``value`` under ``key`` for the customer (replacing an older value)."""
        try:
            item = self._upsert(customer_id, key, value, type, importance, source)
        except IntegrityError:  # a concurrent writer inserted the key first: update it
            item = self._upsert(customer_id, key, value, type, importance, source)
        self._drop(customer_id)
        return item

    def _upsert(
        self, customer_id: int, key: str, value: Any, type: str, importance: float, source: str
    ) -> MemoryItem:
        now = utcnow()
        with self.store.session() as s:
            row = s.scalars(
                sa.select(Memory).where(Memory.customer_id == customer_id, Memory.key == key)
            ).first()
            if row is None:
                row = Memory(customer_id=customer_id, key=key, created_at=now)
                s.add(row)
            row.value, row.type, row.importance, row.source, row.updated_at = (
                value,
                type,
                importance,
                source,
                now,
            )
            s.flush()
            return MemoryItem.of(row)

    def recall(self, customer_id: int) -> Dict[str, MemoryItem]:
        """The customer's memories by key, for use in a conversation (marks them used)."""
        cached = self.cache.get(customer_id) if self.cache else None
        if cached is not None:
            items = [MemoryItem.from_cache(data) for data in cached]
        else:
            items = self.of_customer(customer_id)
            if self.cache:
                self.cache.put(customer_id, [item.cached() for item in items])
        if items:
            with self.store.session() as s:
                s.execute(
                    sa.update(Memory).where(Memory.customer_id == customer_id).values(last_used_at=utcnow())
                )
        return {item.key: item for item in items}

    def of_customer(self, customer_id: int) -> List[MemoryItem]:
        with self.store.session() as s:
            rows = s.scalars(sa.select(Memory).where(Memory.customer_id == customer_id).order_by(Memory.id))
            return [MemoryItem.of(row) for row in rows]

    def search(self, customer_id: Optional[int] = None, type: Optional[str] = None, key: Optional[str] = None,
               page: int = 1, limit: int = 20) -> Tuple[List[MemoryItem], int]:  # fmt: skip
        where = [c for c in (customer_id is not None and Memory.customer_id == customer_id,
                             type is not None and Memory.type == type,
                             key is not None and Memory.key == key) if c is not False]  # fmt: skip
        with self.store.session() as s:
            total = s.scalar(sa.select(sa.func.count(Memory.id)).where(*where)) or 0
            query = (
                sa.select(Memory).where(*where).order_by(Memory.id).offset((page - 1) * limit).limit(limit)
            )
            return [MemoryItem.of(row) for row in s.scalars(query)], int(total)

    def get(self, memory_id: int) -> MemoryItem:
        with self.store.session() as s:
            row = s.get(Memory, memory_id)
            if row is None:
                raise NotFound(f"memory {ID_PREFIX}{memory_id} not found")
            return MemoryItem.of(row)

    def update(self, memory_id: int, changes: Dict[str, Any]) -> MemoryItem:
        """Changes ``value``, ``type``, ``importance`` or ``source`` of one memory."""
        with self.store.session() as s:
            row = s.get(Memory, memory_id)
            if row is None:
                raise NotFound(f"memory {ID_PREFIX}{memory_id} not found")
            for name in ("value", "type", "importance", "source"):
                if name in changes:
                    setattr(row, name, changes[name])
            row.updated_at = utcnow()
            s.flush()
            item = MemoryItem.of(row)
        self._drop(item.customer_id)
        return item

    def delete(self, memory_id: int) -> None:
        item = self.get(memory_id)
        with self.store.session() as s:
            s.execute(sa.delete(Memory).where(Memory.id == memory_id))
        self._drop(item.customer_id)

    def forget_customer(self, customer_id: int) -> int:
        """Deletes every memory of the customer (GDPR erasure); how many there were."""
        with self.store.session() as s:
            result = s.execute(sa.delete(Memory).where(Memory.customer_id == customer_id))
        self._drop(customer_id)
        return int(result.rowcount or 0)

    def _drop(self, customer_id: int) -> None:
        if self.cache:
            self.cache.drop(customer_id)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() + "Z" if value is not None else None


def _parse(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value.rstrip("Z")) if value else None
