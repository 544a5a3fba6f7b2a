"""The effects ledger on SQLite and PostgreSQL: one effect per key, all or nothing."""

from __future__ import annotations

import asyncio
from typing import List

import pytest
import sqlalchemy as sa

from assistant.effects import EffectKey, Outcome, recorded_outcome, run_once
from assistant.store import Store
from assistant.store.models import EffectRecord, Ticket
from assistant.store.repository import create_db_engine

KEY = EffectKey("conv-1", "msg-1", "action_log_complaint")


def tickets(store: Store) -> List[Ticket]:
    return store.tickets_for_conversation("conv-1")


def open_ticket(store: Store, runs: List[int]):  # type: ignore[no-untyped-def]
    async def attempt() -> Outcome:
        runs.append(1)
        ticket = store.create_ticket("complaint", "late again", conversation_id="conv-1")
        return Outcome([{"text": f"ticket {ticket.reference}"}], [{"event": "slot", "name": "x", "value": 1}])

    return attempt


def test_a_key_takes_effect_once_and_replays_its_outcome(store: Store) -> None:
    runs: List[int] = []
    first = asyncio.run(run_once(store, KEY, open_ticket(store, runs)))
    again = asyncio.run(run_once(store, KEY, open_ticket(store, runs)))
    assert runs == [1] and len(tickets(store)) == 1
    assert again == first and first.messages[0]["text"] == f"ticket {tickets(store)[0].reference}"


def test_other_messages_and_other_actions_are_other_keys(store: Store) -> None:
    runs: List[int] = []
    for key in (KEY, EffectKey("conv-1", "msg-2", KEY.action), EffectKey("conv-1", "msg-1", "action_other")):
        asyncio.run(run_once(store, key, open_ticket(store, runs)))
    assert len(runs) == 3 and len(tickets(store)) == 3


def test_a_failure_after_the_change_leaves_neither_the_change_nor_a_record(store: Store) -> None:
    async def fails_after_the_change() -> Outcome:
        store.create_ticket("complaint", "late again", conversation_id="conv-1")
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(run_once(store, KEY, fails_after_the_change))
    assert tickets(store) == [] and recorded_outcome(store, KEY) is None
    asyncio.run(run_once(store, KEY, open_ticket(store, [])))
    assert len(tickets(store)) == 1, "the retry takes effect"


def test_a_run_that_loses_the_race_rolls_back_and_replays_the_winner(store: Store) -> None:
    other = Store(create_db_engine(str(store.engine.url)))  # another process on the same database
    winner: List[Outcome] = []

    async def racing() -> Outcome:
        store.create_ticket("complaint", "mine", conversation_id="conv-1")
        winner.append(await run_once(other, KEY, open_ticket(other, [])))  # commits first
        return Outcome([{"text": "mine"}], [])

    outcome = asyncio.run(run_once(store, KEY, racing))
    assert outcome == winner[0] and [t.description for t in tickets(store)] == ["late again"]
    other.engine.dispose()


def test_what_cannot_be_rolled_back_waits_for_the_commit(store: Store) -> None:
    sent: List[str] = []

    async def sends_after_commit() -> Outcome:
        store.after_commit(lambda: sent.append("mail"))
        assert sent == [], "not before the commit"
        return Outcome([], [])

    asyncio.run(run_once(store, KEY, sends_after_commit))
    assert sent == ["mail"]

    async def fails() -> Outcome:
        store.after_commit(lambda: sent.append("never"))
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        asyncio.run(run_once(store, EffectKey("conv-1", "msg-9", "a"), fails))
    assert sent == ["mail"]


def test_without_a_message_id_the_action_runs_each_time_in_one_transaction(store: Store) -> None:
    runs: List[int] = []
    for _ in range(2):
        asyncio.run(run_once(store, None, open_ticket(store, runs)))
    assert runs == [1, 1] and len(tickets(store)) == 2
    with store.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(EffectRecord)) == 0


def test_card_numbers_are_masked_in_the_recorded_outcome(store: Store) -> None:
    async def echoes_a_card() -> Outcome:
        return Outcome([{"text": "you typed 4111 1111 1111 1111"}], [])

    asyncio.run(run_once(store, KEY, echoes_a_card))
    assert recorded_outcome(store, KEY).messages == [{"text": "you typed [REDACTED CARD]"}]
