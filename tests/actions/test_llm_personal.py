"""The actions with the loopback LLM stand-in: a finished session summarised by the LLM (by the
rules when it fails or stalls), a verified customer's order answer rephrased to their style
(the template kept when a fact does not survive), the LLM's sentiment feeding escalation
(VADER when it answers junk); without an LLM nothing is called."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Callable, Dict, Iterator

import pytest

from actions import services
from actions.orders import ActionCheckOrderStatus, describe_order
from actions.personal import FRUSTRATION_NOTE, turn_deadline
from actions.session import ActionSessionStart
from assistant.identity.permissions import IdentityState, Level
from assistant.llm.records import usage_summary
from assistant.personalization.profile import update_profile
from assistant.settings import LLMSettings
from assistant.store import Store
from tests.actions.helpers import run_action
from tests.actions.test_verification import signed
from tests.conftest import make_tracker
from tests.llm_standin import LLMStandIn

JANE = 1
NOTE = "The customer asked where order 48213 is and was handed over to a person."
SESSION = [
    {"event": "session_started", "timestamp": 990.0},
    {"event": "slot", "name": "customer_id", "value": 1.0},
    {"event": "slot", "name": "verification", "value": "verified"},
    {"event": "user", "text": "Hi, Jane Doe here: where is my order 48213? I'm jane.doe@example.com",
     "timestamp": 1000.0, "parse_data": {"intent": {"name": "order_status", "confidence": 0.9},
                                         "entities": [{"entity": "order_id", "value": "48213"}]}},
    {"event": "bot", "text": "Welcome back, Jane! Order 48213 shipped with UPS.", "timestamp": 1001.0},
    {"event": "user", "text": "call me on +1 555 010 1234 please", "timestamp": 1002.0,
     "parse_data": {"intent": {"name": "request_human", "confidence": 0.9}, "entities": []}},
    {"event": "action", "name": "action_handoff", "timestamp": 1003.0},
]  # fmt: skip


def replier(summary: str = NOTE, rephrased: Callable[[str], str] = lambda t: f"Hey there! {t}",
            sentiment: str = "1: 0.0") -> Callable[[Dict[str, Any]], str]:  # fmt: skip
    """A stand-in model for the three tasks, told apart by their system prompt."""

    def reply(request: Dict[str, Any]) -> str:
        system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
        if "Rewrite" in system:
            return rephrased(user.split("<message>\n", 1)[1].split("\n</message>", 1)[0])
        if "Rate the sentiment" in system:
            return sentiment
        return summary

    return reply


@pytest.fixture(scope="module")
def standin() -> Iterator[LLMStandIn]:
    server = LLMStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def with_llm(sqlite_store: Store, standin: LLMStandIn) -> Iterator[Store]:
    standin.reset()
    standin.replier = replier()
    llm = LLMSettings(base_url=standin.url, model="standin-1", timeout_seconds=0.5, retry_base_seconds=0.01,
                      turn_deadline_seconds=0.8)  # fmt: skip
    services.use_settings(dataclasses.replace(services.get_settings(), llm=llm))
    services.use_llm(None)  # built again from these settings, recording in the store
    yield sqlite_store
    services.use_llm(None)
    standin.reset()


def session_start(sender: str) -> Any:
    slots = {"session_started_metadata": signed(IdentityState(JANE, Level.VERIFIED), sender),
             "customer_id": 1.0, "verification": "verified"}  # fmt: skip
    return make_tracker(slots=slots, events=SESSION, sender_id=sender)


def summary_of_jane() -> str:
    return str(services.get_memories().recall(JANE)["last_session_summary"].value)


def test_the_llm_summarises_a_finished_session_without_raw_personal_data(
    with_llm: Store, standin: LLMStandIn
) -> None:
    run_action(ActionSessionStart(), session_start("conv-llm-summary"))
    assert summary_of_jane() == NOTE and usage_summary(with_llm)["calls"] == 1
    prompt = json.dumps(standin.chat_requests())
    for personal in ("Jane", "jane.doe@example.com", "555 010 1234"):
        assert personal not in prompt
    assert "48213" in prompt


@pytest.mark.parametrize("failure", [("500", "500", "500"), ("slow:2", "slow:2", "slow:2"), ("malformed",)])
def test_the_rules_summarise_when_the_llm_fails_or_stalls(
    with_llm: Store, standin: LLMStandIn, failure: tuple
) -> None:
    standin.script(*failure)
    run_action(ActionSessionStart(), session_start(f"conv-llm-failing-{failure[0]}"))
    summary = summary_of_jane()
    assert summary.startswith("Asked about") and "48213" in summary and "handed over" in summary
    assert usage_summary(with_llm)["fallbacks"] == 1


def test_a_made_up_order_number_in_the_note_leaves_it_to_the_rules(
    with_llm: Store, standin: LLMStandIn
) -> None:
    standin.replier = replier(summary="The customer asked about order 55555.")
    run_action(ActionSessionStart(), session_start("conv-llm-made-up"))
    assert summary_of_jane().startswith("Asked about")


def order_status(verified: bool = True) -> Any:
    identity = {"verified": JANE} if verified else {"claimed": JANE}
    return make_tracker(slots={"order_id": "48213"}, text="where is my order 48213", **identity)


def template(store: Store) -> str:
    order = store.get_order(48213)
    assert order is not None
    return describe_order(order)


def test_a_casual_customers_order_answer_is_rephrased_with_its_facts(
    with_llm: Store, standin: LLMStandIn
) -> None:
    update_profile(with_llm, JANE, style="casual")
    texts, _ = run_action(ActionCheckOrderStatus(), order_status())
    assert texts == [f"Hey there! {template(with_llm)}"]
    rephrasing = [r for r in standin.chat_requests() if "Rewrite" in r["messages"][0]["content"]]
    assert len(rephrasing) == 1 and "casual" in rephrasing[0]["messages"][0]["content"]
    assert "12 Market Street" not in json.dumps(rephrasing) and "{{ADDRESS}}" in json.dumps(rephrasing)


@pytest.mark.parametrize(
    "alter",
    [lambda t: t.replace("48213", "48214"), lambda t: re.sub(r"\d{2} Nov", "30 Nov", t),
     lambda t: t.replace("1Z999AA10123456784", "1Z999AA1012345678"), lambda t: "Your order is on its way!"],
)  # fmt: skip
def test_the_template_is_kept_when_the_llm_drops_or_alters_a_fact(
    with_llm: Store, standin: LLMStandIn, alter: Callable[[str], str]
) -> None:
    update_profile(with_llm, JANE, style="formal")
    standin.replier = replier(rephrased=alter)
    texts, _ = run_action(ActionCheckOrderStatus(), order_status())
    assert texts == [template(with_llm)]


def test_no_rephrasing_without_a_known_style_or_a_verified_customer(
    with_llm: Store, standin: LLMStandIn
) -> None:
    texts, _ = run_action(ActionCheckOrderStatus(), order_status())  # style still "neutral"
    assert texts == [template(with_llm)]
    update_profile(with_llm, JANE, style="casual")
    texts, _ = run_action(ActionCheckOrderStatus(), order_status(verified=False))
    assert not texts[0].startswith("Hey there!")
    assert not [r for r in standin.chat_requests() if "Rewrite" in r["messages"][0]["content"]]


def test_the_llms_sentiment_feeds_escalation(with_llm: Store, standin: LLMStandIn) -> None:
    standin.replier = replier(sentiment="1: -0.9")  # VADER finds "where is my order 48213" neutral
    texts, _ = run_action(ActionCheckOrderStatus(), order_status())
    assert texts[1:] == [FRUSTRATION_NOTE, "utter_offer_human"]
    scored = [r for r in standin.chat_requests() if "Rate the sentiment" in r["messages"][0]["content"]]
    assert len(scored) == 1 and "where is my order 48213" in scored[0]["messages"][1]["content"]
    angry = make_tracker(
        slots={"order_id": "48213"}, text="this is terrible, useless and awful", verified=JANE
    )
    standin.replier = replier(sentiment="1: 0.2")  # the LLM reads it calmer than VADER does
    texts, _ = run_action(ActionCheckOrderStatus(), angry)
    assert FRUSTRATION_NOTE not in texts


@pytest.mark.parametrize("junk", ["quite negative I'd say", "1: -7", ""])
def test_vader_judges_when_the_llm_answers_junk(with_llm: Store, standin: LLMStandIn, junk: str) -> None:
    standin.replier = replier(sentiment=junk)
    calm, _ = run_action(ActionCheckOrderStatus(), order_status())
    assert FRUSTRATION_NOTE not in calm
    angry = make_tracker(
        slots={"order_id": "48213"}, text="this is terrible, useless and awful!!", verified=JANE
    )
    texts, _ = run_action(ActionCheckOrderStatus(), angry)
    assert texts[1:] == [FRUSTRATION_NOTE, "utter_offer_human"]


def test_without_an_llm_nothing_is_called_and_the_rules_answer(
    sqlite_store: Store, standin: LLMStandIn
) -> None:
    standin.reset()
    services.use_llm(None)
    update_profile(sqlite_store, JANE, style="casual")
    texts, _ = run_action(ActionCheckOrderStatus(), order_status())
    run_action(ActionSessionStart(), session_start("conv-no-llm"))
    assert texts == [template(sqlite_store)] and summary_of_jane().startswith("Asked about")
    assert standin.requests == [] and usage_summary(sqlite_store)["calls"] == 0


def test_the_llm_calls_of_one_message_share_one_deadline(with_llm: Store, standin: LLMStandIn) -> None:
    first = make_tracker(text="where is my order", sender_id="conv-deadline")
    again = make_tracker(text="where is my order", sender_id="conv-deadline")
    later = make_tracker(text="and the other one?", sender_id="conv-deadline")
    assert turn_deadline(first) is turn_deadline(again) and turn_deadline(later) is not turn_deadline(first)
    standin.script("slow:2", "slow:2", "slow:2")  # the rephrasing uses up the turn's deadline
    update_profile(with_llm, JANE, style="casual")
    slow = make_tracker(slots={"order_id": "48213"}, text="where is my order 48213?", verified=JANE)
    texts, _ = run_action(ActionCheckOrderStatus(), slow)
    assert texts == [template(with_llm)]
    assert all("Rewrite" in r["messages"][0]["content"] for r in standin.chat_requests())
    last = services.get_llm().last
    assert last is not None and (last.purpose, last.outcome) == ("sentiment", "deadline"), "not sent at all"
