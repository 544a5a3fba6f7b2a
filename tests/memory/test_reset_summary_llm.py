"""A staff reset (admin API) summarises the session about to end: by the LLM when one is
configured, with the customer's names masked; by the rules when it fails."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from admin_api.memory_service import summarise_before_reset
from assistant.llm.records import usage_summary
from assistant.memory import Memories
from assistant.settings import LLMSettings, Settings
from assistant.store import Store
from tests.admin_api import events as ev
from tests.llm_standin import LLMStandIn

NOTE = "The customer asked about delivered order 20002."


def session() -> list:
    events = [{"event": "session_started"}, {"event": "slot", "name": "customer_id", "value": 2},
              {"event": "slot", "name": "verification", "value": "verified"},
              ev.user("Omar here, where is my order 20002?", "order_status"),
              ev.bot("Order 20002 was delivered, Omar.")]  # fmt: skip
    return [dict(event, timestamp=1000.0 + i) for i, event in enumerate(events)]


@pytest.fixture(scope="module")
def standin() -> Iterator[LLMStandIn]:
    server = LLMStandIn().start()
    yield server
    server.stop()


def services(store: Store, tmp_path: Path, standin: LLMStandIn) -> Any:
    llm = LLMSettings(base_url=standin.url, model="standin-1", retry_base_seconds=0.01, timeout_seconds=0.5)
    settings = dataclasses.replace(Settings(var_dir=tmp_path), llm=llm)
    return SimpleNamespace(settings=settings, store=store, memories=Memories(store))


def test_the_reset_summary_is_the_llms_note(sqlite_store: Store, tmp_path: Path, standin: LLMStandIn) -> None:
    standin.reset()
    standin.replier = lambda request: NOTE
    written = summarise_before_reset(services(sqlite_store, tmp_path, standin), "reset-llm", session())
    assert written["summary"] == NOTE and usage_summary(sqlite_store)["calls"] == 1
    prompt = standin.chat_requests()[0]["messages"][1]["content"]
    assert "20002" in prompt and "Omar" not in prompt


def test_the_rules_write_it_when_the_llm_fails(
    sqlite_store: Store, tmp_path: Path, standin: LLMStandIn
) -> None:
    standin.reset()
    standin.script("503", "503", "503")
    written = summarise_before_reset(services(sqlite_store, tmp_path, standin), "reset-down", session())
    assert written["summary"].startswith("Asked about") and usage_summary(sqlite_store)["fallbacks"] == 1
