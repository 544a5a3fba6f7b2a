from __future__ import annotations

import asyncio
import time

import pytest
import redis
import sqlalchemy as sa
import sqlalchemy.exc

from assistant.retry import (
    is_transient,
    remaining_budget,
    retry_async,
    retry_blocking,
    retry_sync,
    turn_deadline,
)


def refused() -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_lost_connections_are_transient_and_bugs_are_not() -> None:
    assert is_transient(refused())
    assert is_transient(redis.exceptions.ConnectionError("Connection refused"))
    assert is_transient(ConnectionResetError())
    try:
        try:
            raise redis.exceptions.TimeoutError("read timed out")
        except redis.exceptions.TimeoutError as inner:
            raise RuntimeError("Error while acquiring lock") from inner
    except RuntimeError as wrapped:
        assert is_transient(wrapped), "the cause counts"
    assert not is_transient(ValueError("bad value"))
    assert not is_transient(sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate")))


def test_a_transient_error_is_retried_until_it_passes() -> None:
    calls = []

    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise refused()
        return "ok"

    assert retry_sync(flaky, budget=5) == "ok" and len(calls) == 3
    calls.clear()
    assert asyncio.run(retry_blocking(flaky, budget=5)) == "ok" and len(calls) == 3


def test_other_errors_fail_at_once() -> None:
    calls = []

    async def buggy() -> None:
        calls.append(1)
        raise ValueError("bug")

    with pytest.raises(ValueError):
        asyncio.run(retry_async(buggy, budget=5))
    assert calls == [1]


def test_retries_stop_at_the_budget_and_reraise_the_last_error() -> None:
    def down() -> None:
        raise refused()

    start = time.monotonic()
    with pytest.raises(sa.exc.OperationalError):
        retry_sync(down, budget=0.5)
    assert 0.4 < time.monotonic() - start < 2.0


def test_the_turns_deadline_cuts_the_budget_short() -> None:
    assert remaining_budget(5) == 5
    with turn_deadline(1.0):
        assert 0.9 < remaining_budget(5) <= 1.0
    with turn_deadline(0.0):
        assert remaining_budget(5) == 0.0
