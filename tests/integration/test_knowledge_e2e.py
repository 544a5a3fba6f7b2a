"""Open questions over the REST webhook with the real Rasa server and action server: a grounded
answer citing a help-centre article, without an LLM and with the loopback LLM stand-in."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator

import pytest

from assistant.llm.records import usage_summary
from assistant.settings import Settings
from assistant.store import build_store
from tests.integration.conftest import Server, Stack, new_sender, say, start_action_server, texts
from tests.llm_standin import LLMStandIn, grounded_replier

QUESTION = "how do I wash merino socks?"  # the NLU calls it out_of_scope: no flow covers it
CITATION = "(Source: Product Care and Sizing, https://help.northwind.example/product-care-and-sizing)"
PREFIX = "From our help centre: "


@pytest.fixture(scope="module")
def standin() -> Iterator[LLMStandIn]:
    server = LLMStandIn().start()
    server.replier = lambda request: PREFIX + grounded_replier(request)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rasa_with_llm(stack: Stack, standin: LLMStandIn) -> Server:
    """A second action server, configured with the stand-in as its LLM, and a Rasa server on it."""
    env = {**stack.env, "LLM_BASE_URL": standin.url, "LLM_MODEL": "standin-1", "LLM_API_KEY": "sk-test",
           "LLM_RETRY_BASE_SECONDS": "0.01"}  # fmt: skip
    actions = start_action_server(env, stack.workdir)
    stack.servers.append(actions)
    with_llm = Stack(env=env, workdir=stack.workdir, action_url=actions.url, servers=stack.servers)
    return with_llm.start_rasa()


def test_an_open_question_gets_the_articles_passage_without_an_llm(rasa: Server) -> None:
    reply = texts(say(rasa, new_sender(), QUESTION))
    assert "Wash merino wool socks and fleece hoodies at 30 degrees" in reply and CITATION in reply


def test_a_question_no_article_answers_gets_an_honest_no_and_a_human(rasa: Server) -> None:
    sender = new_sender()
    reply = texts(say(rasa, sender, "what's the weather like tomorrow?"))
    assert (
        "I don't know the answer to that" in reply
        and "connect you with a member of our support team" in reply
    )
    assert "connecting you" in texts(say(rasa, sender, "yes please"))


def test_with_the_llm_the_answer_is_its_grounded_rephrasing(rasa_with_llm: Server, standin: LLMStandIn,
                                                            stack: Stack) -> None:  # fmt: skip
    standin.requests.clear()
    reply = texts(say(rasa_with_llm, new_sender(), QUESTION))
    assert reply.startswith(PREFIX) and CITATION in reply and "30 degrees" in reply
    prompt: Dict[str, Any] = standin.chat_requests()[-1]
    assert "merino" in json.dumps(prompt) and "ONLY the passages" in json.dumps(prompt)
    store = build_store(Settings(var_dir=stack.workdir, database_url=stack.env["DATABASE_URL"]))
    summary = usage_summary(store)
    store.engine.dispose()
    assert summary["calls"] >= 1 and summary["prompt_tokens"] > 0


def test_with_the_llm_down_the_passage_still_answers(rasa_with_llm: Server, standin: LLMStandIn) -> None:
    standin.script("500", "500", "500")
    reply = texts(say(rasa_with_llm, new_sender(), QUESTION))
    assert not reply.startswith(PREFIX) and "at 30 degrees" in reply and CITATION in reply
