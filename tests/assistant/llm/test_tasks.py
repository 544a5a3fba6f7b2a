"""The LLM's personal tasks against the loopback stand-in: a session's note, a template
rephrased with its facts checked, the sentiment of messages; what is sent carries no raw
personal data, and every unusable answer gives ``None`` (the caller's rules answer then)."""

from __future__ import annotations

import json
from typing import Any, List

import pytest

from assistant.llm import CallRecord, LLMClient
from assistant.llm.tasks import (
    checked_rephrasing,
    facts_of,
    rephrase,
    score_sentiments,
    shielded,
    summarise_turns,
)
from assistant.settings import LLMSettings
from tests.llm_standin import LLMStandIn

TEMPLATE = (
    "Order 48213 (Trail running shoes) shipped on Tue 24 Nov 2026 with UPS, tracking number "
    "1Z999AA10123456784 to 12 Market Street, Springfield. Expected delivery: Sat 28 Nov 2026."
)
CASUAL = (
    "Good news! Your order 48213 (Trail running shoes) left us on Tue 24 Nov 2026 with UPS, tracking "
    "number 1Z999AA10123456784, heading to {{ADDRESS}}, Springfield. It should land on Sat 28 Nov 2026."
)
TURNS = [
    {"role": "user", "content": "Hi, I'm Jane Doe, where is order 48213? mail me at jane.doe@example.com"},
    {"role": "assistant", "content": "Welcome back, Jane! Order 48213 shipped with UPS."},
    {"role": "user", "content": "call me on +1 555 010 1234, I live at 12 Market Street"},
]


def client(standin: LLMStandIn, records: List[CallRecord]) -> LLMClient:
    settings = LLMSettings(
        base_url=standin.url, model="standin-1", timeout_seconds=1.0, retry_base_seconds=0.01
    )
    return LLMClient(settings, recorder=records.append)


def sent(standin: LLMStandIn) -> str:
    return json.dumps(standin.chat_requests())


def test_facts_are_numbers_ids_amounts_dates_and_emails() -> None:
    facts = facts_of("Refund of $1,234.50 for order 48213 on Mon 02 Nov 2026; you may write to a@b.example.")
    assert facts == {"$1234.50", "48213", "mon", "2", "nov", "2026", "a@b.example"}
    assert facts_of("You may be friendly on Sunday 2 May") == {"sun", "2", "may"}  # "may" only in a date


def test_personal_parts_become_placeholders_and_come_back() -> None:
    template, holders = shielded(TEMPLATE) or ("", {})
    assert "12 Market Street" not in template and holders == {"{{ADDRESS}}": "12 Market Street"}
    kept = checked_rephrasing(CASUAL, template, holders)
    assert kept is not None and "heading to 12 Market Street, Springfield" in kept


@pytest.mark.parametrize(
    "change",
    [
        ("48213", "48231"),
        ("48213 ", ""),
        ("28 Nov", "29 Nov"),
        ("Sat", "Sun"),
        ("{{ADDRESS}}", "your place"),
        ("It should", "For $5 it should"),
    ],  # fmt: skip
)
def test_a_rephrasing_that_changes_a_fact_is_rejected(change: tuple) -> None:
    template, holders = shielded(TEMPLATE) or ("", {})
    assert checked_rephrasing(CASUAL.replace(*change), template, holders) is None


async def test_the_rephrasing_is_kept_when_its_facts_survive(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    standin.replier = lambda request: CASUAL
    text = await rephrase(client(standin, records), TEMPLATE, "casual")
    assert text == CASUAL.replace("{{ADDRESS}}", "12 Market Street")
    assert "12 Market Street" not in sent(standin) and records[0].purpose == "rephrase"
    assert "casual" in standin.chat_requests()[0]["messages"][0]["content"]


async def test_the_template_is_kept_when_the_llm_alters_a_fact(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    llm = client(standin, records)
    for altered in (CASUAL.replace("48213", "48214"), CASUAL.replace("Sat 28 Nov 2026", "Saturday")):
        standin.replier = lambda request, altered=altered: altered
        assert await rephrase(llm, TEMPLATE, "formal") is None
    assert await rephrase(llm, TEMPLATE, "neutral") is None and len(standin.chat_requests()) == 2


async def test_the_summary_is_the_llms_note_without_raw_personal_data(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    standin.replier = lambda request: "The customer asked where order 48213 is; it had shipped."
    note = await summarise_turns(client(standin, records), TURNS, names=["Jane Doe", "Jane"])
    assert note == "The customer asked where order 48213 is; it had shipped."
    prompt = sent(standin)
    for personal in ("Jane", "jane.doe@example.com", "555 010 1234", "12 Market Street"):
        assert personal not in prompt
    assert "48213" in prompt and records[0].purpose == "summary"


@pytest.mark.parametrize("reply", ["Order 99999 was refunded.", "<conversation>", "x" * 700])
async def test_an_unusable_summary_is_none(standin: LLMStandIn, reply: str) -> None:
    standin.replier = lambda request: reply
    assert await summarise_turns(client(standin, []), TURNS) is None


async def test_sentiment_scores_come_from_one_call(standin: LLMStandIn) -> None:
    records: List[CallRecord] = []
    standin.replier = lambda request: "1: -0.8\n2: 0.4"
    scores = await score_sentiments(client(standin, records), ["where is my parcel", "thanks!"])
    assert scores == [-0.8, 0.4] and len(records) == 1 and records[0].purpose == "sentiment"


@pytest.mark.parametrize("reply", ["very negative", "1: -0.8", "1: -3\n2: 0", "1: bad\n2: 0.1"])
async def test_junk_sentiment_is_none(standin: LLMStandIn, reply: str) -> None:
    standin.replier = lambda request: reply
    assert await score_sentiments(client(standin, []), ["where is my parcel", "thanks!"]) is None


async def test_without_an_llm_no_task_calls_anything(standin: LLMStandIn) -> None:
    llm = LLMClient(LLMSettings())
    results: List[Any] = [await summarise_turns(llm, TURNS), await rephrase(llm, TEMPLATE, "casual"),
                          await score_sentiments(llm, ["hi"])]  # fmt: skip
    assert results == [None, None, None] and standin.requests == []
