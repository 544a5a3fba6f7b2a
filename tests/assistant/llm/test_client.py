"""The LLM client against the loopback stand-in: retries, breaker, deadline, fallback, record."""

from __future__ import annotations

import json
import time
from typing import List

import pytest

from assistant.llm import CallRecord, Deadline, LLMClient
from assistant.llm.records import store_recorder, usage_summary
from assistant.settings import ConfigError, LLMSettings, Settings
from assistant.store import Store
from tests.llm_standin import LLMStandIn

QUESTION = [{"role": "system", "content": "Answer."},
            {"role": "user", "content": "<passages>\n[faq] FAQ: It is fine. More.\n</passages>"}]  # fmt: skip


def client(standin: LLMStandIn, records: List[CallRecord], **overrides: float) -> LLMClient:
    options = {"timeout_seconds": 1.0, "retry_base_seconds": 0.01, **overrides}
    settings = LLMSettings(base_url=standin.url, model="standin-1", **options)  # type: ignore[arg-type]
    return LLMClient(settings, recorder=records.append)


async def test_a_reply_is_returned_logged_and_recorded(standin: LLMStandIn, sqlite_store: Store) -> None:
    llm = LLMClient(
        LLMSettings(base_url=standin.url, model="standin-1"), recorder=store_recorder(sqlite_store)
    )
    assert await llm.chat(QUESTION, "answer", conversation_id="c-1") == "It is fine. [faq]"
    assert llm.last is not None and llm.last.outcome == "ok" and llm.last.attempts == 1
    assert llm.last.prompt_tokens > 0 and llm.last.completion_tokens == 4 and llm.last.estimated_cost > 0
    summary = usage_summary(sqlite_store)
    assert summary["calls"] == 1 and summary["fallbacks"] == 0
    assert summary["completion_tokens"] == 4 and summary["estimated_cost_usd"] > 0


async def test_without_an_llm_nothing_is_called(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    llm = LLMClient(LLMSettings(), recorder=records.append)
    assert not llm.configured
    assert await llm.chat(QUESTION, "answer") is None
    assert records == [] and standin.requests == []


async def test_429_and_5xx_are_retried_with_backoff(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    standin.script("429", "500")
    assert await client(standin, records).chat(QUESTION, "answer") == "It is fine. [faq]"
    assert [r.outcome for r in records] == ["ok"] and records[0].attempts == 3
    assert len(standin.chat_requests()) == 3


async def test_persistent_failure_ends_in_the_fallback(standin: LLMStandIn, sqlite_store: Store) -> None:
    records: List[CallRecord] = []
    standin.script("429", "429", "429")
    assert await client(standin, records).chat(QUESTION, "answer") is None
    assert records[0].outcome == "rate_limited" and records[0].attempts == 3 and records[0].fallback
    store_recorder(sqlite_store)(records[0])
    assert usage_summary(sqlite_store)["fallbacks"] == 1


@pytest.mark.parametrize("behaviour, outcome", [("malformed", "malformed"), ("empty", "malformed")])
async def test_a_malformed_reply_is_not_retried(standin: LLMStandIn, behaviour: str, outcome: str) -> None:
    records: List[CallRecord] = []
    standin.script(behaviour)
    assert await client(standin, records).chat(QUESTION, "answer") is None
    assert records[0].outcome == outcome and records[0].attempts == 1


async def test_the_turn_deadline_is_never_passed(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    standin.script("slow:3", "slow:3", "slow:3")
    started = time.monotonic()
    assert await client(standin, records, timeout_seconds=5.0).chat(QUESTION, "answer", Deadline(0.8)) is None
    assert time.monotonic() - started < 1.2
    assert records[0].outcome == "timeout"


async def test_a_spent_deadline_makes_no_call(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    assert await client(standin, records).chat(QUESTION, "answer", Deadline(0)) is None
    assert records[0].outcome == "deadline" and standin.requests == []


async def test_the_breaker_opens_and_closes_again(standin: LLMStandIn) -> None:
    now = [1000.0]
    records: List[CallRecord] = []
    settings = LLMSettings(base_url=standin.url, model="m", retry_base_seconds=0.01, max_attempts=1,
                           breaker_failures=2, breaker_reset_seconds=30)  # fmt: skip
    llm = LLMClient(settings, recorder=records.append, clock=lambda: now[0])
    standin.script("500", "500")
    assert await llm.chat(QUESTION, "answer") is None and await llm.chat(QUESTION, "answer") is None
    assert llm.breaker.state == "open"
    assert await llm.chat(QUESTION, "answer") is None
    assert records[-1].outcome == "breaker_open" and len(standin.chat_requests()) == 2
    now[0] += 31  # half-open: one trial call goes through and, succeeding, closes the breaker
    assert await llm.chat(QUESTION, "answer") == "It is fine. [faq]"
    assert llm.breaker.state == "closed" and len(standin.chat_requests()) == 3


async def test_a_failed_trial_opens_the_breaker_again(standin: LLMStandIn) -> None:
    now = [0.0]
    settings = LLMSettings(base_url=standin.url, model="m", max_attempts=1, breaker_failures=1,
                           breaker_reset_seconds=10)  # fmt: skip
    llm = LLMClient(settings, clock=lambda: now[0])
    standin.script("503", "503")
    await llm.chat(QUESTION, "answer")
    now[0] += 11
    assert await llm.chat(QUESTION, "answer") is None and llm.breaker.state == "open"


async def test_prompts_carry_no_raw_personal_data(standin: LLMStandIn) -> None:
    personal = ["jane.doe@example.com", "+1 555 0101", "4111 1111 1111 1111", "12 Market Street",
                "DE89 3704 0044 0532 0130 00", "+44 20 7946 0103"]  # fmt: skip
    text = "I'm Jane, " + ", ".join(personal) + ", order 48213"
    await client(standin, []).chat([{"role": "user", "content": text}], "answer")
    sent = json.dumps(standin.chat_requests()[0])
    assert all(value not in sent for value in personal)
    assert "48213" in sent and "[REDACTED EMAIL]" in sent and "[REDACTED CARD]" in sent


def test_settings_come_from_the_environment() -> None:
    env = {"LLM_BASE_URL": "http://127.0.0.1:8000/v1/", "LLM_MODEL": "smol", "LLM_API_KEY": "sk-secret-42",
           "LLM_TIMEOUT_SECONDS": "2.5", "LLM_MAX_TOKENS": "99"}  # fmt: skip
    llm = Settings.from_env(env).llm
    assert (llm.base_url, llm.model, llm.api_key, llm.timeout_seconds, llm.max_tokens) == (
        "http://127.0.0.1:8000/v1", "smol", "sk-secret-42", 2.5, 99)  # fmt: skip
    assert "sk-secret-42" not in repr(llm) and not Settings.from_env({}).llm.configured


@pytest.mark.parametrize("env", [{"LLM_BASE_URL": "ftp://x"}, {"LLM_TIMEOUT_SECONDS": "0"},
                                 {"LLM_MAX_TOKENS": "many"}, {"LLM_TURN_DEADLINE_SECONDS": "12"}])  # fmt: skip
def test_bad_llm_settings_are_refused(env: dict) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)
