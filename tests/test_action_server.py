"""The action server's executor: failures become reports Rasa cannot skip."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
import sqlalchemy.exc
from rasa_sdk import Action
from rasa_sdk.interfaces import ActionExecutionRejection

from assistant import settings as settings_module
from assistant.action_server import ReportingExecutor
from assistant.turn_failure import FAILURE_KEY, failure_in

CALLS: List[str] = []


def refused() -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))


class Flaky(Action):
    def name(self) -> str:
        return "flaky"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        CALLS.append("flaky")
        if CALLS.count("flaky") < 3:
            raise refused()
        dispatcher.utter_message(text="done")
        return []


class Down(Action):
    def name(self) -> str:
        return "down"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        raise refused()


class Buggy(Action):
    def name(self) -> str:
        return "buggy"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        CALLS.append("buggy")
        raise KeyError("bug")


class Rejecting(Action):
    def name(self) -> str:
        return "rejecting"

    async def run(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        raise ActionExecutionRejection("rejecting")


@pytest.fixture
def executor(monkeypatch: pytest.MonkeyPatch) -> ReportingExecutor:
    monkeypatch.setenv("STORE_RETRY_SECONDS", "0.5")
    settings_module.get_settings.cache_clear()
    CALLS.clear()
    executor = ReportingExecutor()
    for action in (Flaky, Down, Buggy, Rejecting):
        executor.register_action(action)
    yield executor
    settings_module.get_settings.cache_clear()


def call(executor: ReportingExecutor, name: str, channel: str = "rest") -> Dict[str, Any]:
    tracker = {"sender_id": "s", "slots": {}, "latest_message": {}, "events": [], "paused": False,
               "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
               "latest_input_channel": channel}  # fmt: skip
    return asyncio.run(executor.run({"next_action": name, "tracker": tracker, "domain": {}}))


def test_an_action_that_loses_its_connection_is_run_again(executor: ReportingExecutor) -> None:
    result = call(executor, "flaky")
    assert CALLS == ["flaky"] * 3 and result["responses"][0]["text"] == "done"


def test_a_store_that_stays_down_is_reported_as_retryable(executor: ReportingExecutor) -> None:
    result = call(executor, "down")
    failure = failure_in(result["responses"][0]["custom"])
    assert result["events"] == [] and failure is not None
    assert failure.action == "down" and failure.retryable


def test_a_bug_is_reported_at_once_as_not_retryable(executor: ReportingExecutor) -> None:
    result = call(executor, "buggy")
    assert CALLS == ["buggy"]
    assert result["responses"][0]["custom"][FAILURE_KEY] == {"action": "buggy", "retryable": False}


def test_a_forms_rejection_still_reaches_rasa_as_such(executor: ReportingExecutor) -> None:
    with pytest.raises(ActionExecutionRejection):
        call(executor, "rejecting")


def test_a_channel_that_cannot_fail_a_turn_gets_rasa_sdks_error(executor: ReportingExecutor) -> None:
    with pytest.raises(KeyError):
        call(executor, "buggy", channel="cmdline")
