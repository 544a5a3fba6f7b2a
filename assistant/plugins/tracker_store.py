"""Rasa tracker store on ``DATABASE_URL`` that never stores a payment card number and keeps
turns fast however long a conversation gets.

Registered in endpoints.yml as ``assistant.plugins.tracker_store.RedactingSQLTrackerStore``.
It is Rasa's own ``SQLTrackerStore`` (the ``events`` table), pointed at PostgreSQL when
``DATABASE_URL`` says so and at ``var/tracker.db`` otherwise, with two changes:

- card numbers and IBANs are masked in user messages, their parse data and slot values, and
  what a customer types while a one-time code is asked for is masked too, before anything is
  written or streamed (channels mask at their entry already; this is the safety net);
- a turn's cost does not grow with the conversation. Rasa reloads and replays every event of
  the session on each message, and each policy re-reads the whole tracker several times a turn.
  Here the tracker handed to the policies is compacted (past ``compact_after`` events it holds
  the conversation's state, i.e. slots, active form and pause, as a few events, then only the
  last ``keep_turns`` user turns), and after each save a copy stays in a bounded in-process
  cache; the next message of that conversation reads only the rows stored since (by another
  Rasa process, say). Everything is still stored, and ``retrieve_full_tracker`` (the HTTP API,
  exports) returns all events;
- a lost connection to the database is retried with backoff inside the turn's deadline
  (assistant/retry.py), and after any failed read or write the conversation's cached copy is
  dropped, so the next turn reads what the database really holds;
- ``stored_reply`` finds a message already processed (by its message id) and the bot's replies
  to it, so a retried message is answered from what was stored.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import OrderedDict
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from assistant.identity.codes import typed_code
from assistant.redaction import contains_sensitive, redact
from assistant.retry import retry_async, retry_blocking
from assistant.settings import get_settings
from assistant.turn_failure import raise_if_an_action_failed

STORED_UP_TO = "_stored_up_to"  # attribute on a retrieved tracker: how many events are stored
CODE_SLOT = "verification_code"
REDACTED_CODE = "[CODE]"
PG_CONNECT_TIMEOUT_SECONDS = 3
CODE_DIGITS = re.compile(r"\d[\d \-]{2,12}\d")


def _with_connect_timeout(url: Any) -> Dict[str, Any]:
    """The URL's query, plus a connect timeout on PostgreSQL: a connection attempt that meets a
    server going down fails in seconds (and is retried) instead of holding the event loop."""
    query = dict(url.query)
    if url.get_backend_name() == "postgresql":
        query.setdefault("connect_timeout", str(PG_CONNECT_TIMEOUT_SECONDS))
    return query


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQL tracker store configured from ``Settings`` that redacts card numbers on save."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        url: Optional[str] = None,
        compact_after: int = 60,
        keep_turns: int = 6,
        cache_size: int = 10_000,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)
        self.compact_after, self.keep_turns = int(compact_after), int(keep_turns)
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[str, Tuple[DialogueStateTracker, int]] = OrderedDict()
        parsed = make_url(url or get_settings().tracker_store_url)
        super().__init__(
            domain=domain,
            dialect=parsed.get_backend_name(),
            host=parsed.host,
            port=parsed.port,
            db=parsed.database or "rasa.db",
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=_with_connect_timeout(parsed) or None,
            **kwargs,
        )

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        try:
            return await retry_async(self._retrieve_once, sender_id)
        except Exception:
            self.forget(sender_id)
            raise

    async def retrieve_full_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Every session's events (history on joining, the HTTP API), retried like ``retrieve``."""
        return await retry_async(super().retrieve_full_tracker, sender_id)

    async def _retrieve_once(self, sender_id: str) -> Optional[DialogueStateTracker]:
        tracker = self._from_cache(sender_id)
        if tracker is None:
            tracker = await super().retrieve(sender_id)
            if tracker is None:
                return None
            tracker = self._compacted(tracker)
        setattr(tracker, STORED_UP_TO, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        raise_if_an_action_failed()  # a turn that skipped an action it could not call fails
        redact_events(tracker.events)
        try:
            await self._write(tracker)
        except Exception:
            self.forget(tracker.sender_id)
            raise
        self._remember(tracker)

    async def _write(self, tracker: DialogueStateTracker) -> None:
        """``SQLTrackerStore.save``, retried on a lost connection. A retry first checks whether
        the previous attempt was committed after all (the connection dropped before the
        answer), so that a turn is never stored twice."""
        attempts = 0

        async def once() -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and self._turn_is_stored(tracker):
                return
            await SQLTrackerStore.save(self, tracker)

        await retry_async(once)

    def forget(self, sender_id: str) -> None:
        """Drops the cached copy of a conversation: its next turn reads the database."""
        self._cache.pop(sender_id, None)

    async def stored_reply(self, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
        """The bot messages stored after the user message ``message_id`` (until the next one),
        or None when no such message was stored."""
        return await retry_blocking(self._stored_reply, sender_id, message_id)

    def _stored_reply(self, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
        with self.session_scope() as session:
            user_row = self._user_row_id(session, sender_id, message_id)
            if user_row is None:
                return None
            query = session.query(self.SQLEvent.type_name, self.SQLEvent.data).filter(
                self.SQLEvent.sender_id == sender_id,
                self.SQLEvent.id > user_row,
                self.SQLEvent.type_name.in_((UserUttered.type_name, BotUttered.type_name)),
            )
            rows = query.order_by(self.SQLEvent.id).limit(200).all()
        replies = []
        for kind, data in rows:
            if kind == UserUttered.type_name:
                break
            event = Event.from_parameters(json.loads(data))
            if isinstance(event, BotUttered):
                replies.append(event.message())
        return replies

    def _user_row_id(self, session: Any, sender_id: str, message_id: str) -> Optional[int]:
        """The id of the stored user message with ``message_id``, or None."""
        needle = '"message_id": ' + json.dumps(message_id)
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = session.query(self.SQLEvent.id, self.SQLEvent.data).filter(
            self.SQLEvent.sender_id == sender_id,
            self.SQLEvent.type_name == UserUttered.type_name,
            self.SQLEvent.data.like(f"%{escaped}%", escape="\\"),
        )
        for row_id, data in query.order_by(self.SQLEvent.id).all():
            if json.loads(data).get("message_id") == message_id:
                return int(row_id)
        return None

    def _turn_is_stored(self, tracker: DialogueStateTracker) -> bool:
        """True when the last user message this save adds is in the database already."""
        stored = getattr(tracker, STORED_UP_TO, None)
        if stored is None:
            return False
        added = itertools.islice(tracker.events, stored, None)
        ids = [e.message_id for e in added if isinstance(e, UserUttered) and e.message_id]
        if not ids:
            return False
        with self.session_scope() as session:
            return self._user_row_id(session, tracker.sender_id, ids[-1]) is not None

    def _compacted(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        if self.domain is not None and len(tracker.events) > self.compact_after:
            return compact(tracker, self.domain, self.keep_turns)
        return tracker

    def _last_event_id(self, sender_id: str) -> int:
        with self.session_scope() as session:
            query = session.query(sa.func.max(self.SQLEvent.id))
            return query.filter(self.SQLEvent.sender_id == sender_id).scalar() or 0

    def _remember(self, tracker: DialogueStateTracker) -> None:
        """Caches a copy of the just-saved tracker with the id of its last stored row (the turn
        is stored: if that id cannot be read, the conversation is simply not cached)."""
        if self.cache_size <= 0 or self.domain is None:
            return
        try:
            last_id = self._last_event_id(tracker.sender_id)
        except Exception:
            self.forget(tracker.sender_id)
            return
        self._cache[tracker.sender_id] = (self._compacted(tracker).copy(), last_id)
        self._cache.move_to_end(tracker.sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _from_cache(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The cached tracker brought up to date with rows stored since, or None."""
        cached = self._cache.get(sender_id)
        if cached is None:
            return None
        template, last_id = cached
        with self.session_scope() as session:
            query = session.query(self.SQLEvent.id, self.SQLEvent.data)
            rows = query.filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > last_id).all()
        newer = [Event.from_parameters(json.loads(data)) for _, data in sorted(rows)]
        if any(isinstance(event, SessionStarted) for event in newer):
            del self._cache[sender_id]  # another process started a new session: reload it
            return None
        tracker = template.copy()
        for event in newer:
            tracker.update(event)
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events added since ``retrieve`` (Rasa counts the stored rows instead, which a
        compacted tracker would get wrong)."""
        stored = getattr(tracker, STORED_UP_TO, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, None)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        stored = getattr(tracker, STORED_UP_TO, None)
        if self.event_broker is None or stored is None:
            return await super().stream_events(tracker)
        await self._stream_new_events(self.event_broker, list(tracker.events)[stored:], tracker.sender_id)


def compact(tracker: DialogueStateTracker, domain: Domain, keep_turns: int) -> DialogueStateTracker:
    """A tracker in the same state as ``tracker`` holding only its last ``keep_turns`` turns,
    preceded by the slots, active loop and pause that held when those turns began."""
    events = list(tracker.events)
    starts = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
    if len(starts) <= keep_turns:
        return tracker
    cut = starts[-keep_turns]
    if cut and isinstance(events[cut - 1], ActionExecuted):
        cut -= 1  # keep the action_listen that precedes the user message
    head = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], domain.slots)
    at = events[cut].timestamp
    prefix: List[Event] = [
        SlotSet(slot.name, slot.value, timestamp=at)
        for slot in head.slots.values()
        if slot.value != slot.initial_value
    ]
    if head.active_loop_name:
        prefix.append(ActiveLoop(head.active_loop_name, timestamp=at))
    if head.is_paused():
        prefix.append(ConversationPaused(timestamp=at))
    return DialogueStateTracker.from_events(tracker.sender_id, prefix + events[cut:], domain.slots)


def redact_events(events: Iterable[Event]) -> None:
    """Masks card numbers and IBANs in every event, in place; while a one-time code is asked
    for, also the digits the customer typed and every slot value they ended up in (the code
    never reaches the database)."""
    requested: Any = None
    typed: Tuple[str, ...] = ()
    for event in events:
        if isinstance(event, UserUttered):
            asked_code = requested == CODE_SLOT
            code = typed_code(event.text or "") if asked_code else None
            typed = (code, f"{code[:3]} {code[3:]}", f"{code[:3]}-{code[3:]}") if code else ()
            redact_event(event, mask_codes=asked_code)
        elif isinstance(event, SlotSet):
            if event.key == "requested_slot":
                requested = event.value
            if (
                isinstance(event.value, str)
                and any(digits in event.value for digits in typed)
                or event.key == CODE_SLOT
                and event.value not in (None, "verified")
            ):
                event.value = REDACTED_CODE
            redact_event(event)
        elif isinstance(event, ActiveLoop) and event.name is None:
            requested = None


def redact_event(event: Event, mask_codes: bool = False) -> None:
    """Masks card numbers and IBANs inside ``event`` (and, with ``mask_codes``, digit runs
    that could be a one-time code) in place."""

    def clean(text: str) -> str:
        text = redact(text)
        return CODE_DIGITS.sub(REDACTED_CODE, text) if mask_codes else text

    if isinstance(event, UserUttered) and event.text and (mask_codes or contains_sensitive(event.text)):
        event.text = clean(event.text)
        event.parse_data["text"] = event.text
        for entity in event.entities:
            if isinstance(entity.get("value"), str):
                entity["value"] = clean(entity["value"])
    elif isinstance(event, SlotSet) and isinstance(event.value, str) and contains_sensitive(event.value):
        event.value = redact(event.value)
