"""Every button title in domain.yml, typed as text, parses to its payload's intent and entities
through the trained model (models/current.tar.gz, which `make test` trains first); and the
title table refuses one title with two meanings."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.shared.core.domain import Domain
from rasa.shared.exceptions import InvalidConfigException

from assistant.plugins.button_title_classifier import build_table, normalise

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
PAYLOAD = re.compile(r"^/(?P<intent>[\w/-]+)(?P<entities>\{.*\})?$")
SLOT = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")  # a slot Rasa fills in (``{{`` is a literal brace)
SAMPLES = {"last_order_id": "48213"}  # a value for each slot a button is filled from


def buttons() -> Iterator[Tuple[str, str]]:
    """(title, payload) of every button in domain.yml, read now (not from the model)."""
    responses = yaml.safe_load((ROOT / "domain.yml").read_text()).get("responses") or {}
    for variations in responses.values():
        for variation in variations:
            for key in ("buttons", "quick_replies"):
                for button in variation.get(key) or []:
                    yield filled(str(button["title"])), filled(str(button["payload"]))


def filled(template: str) -> str:
    """``template`` with its slots filled from SAMPLES, as Rasa fills them in a reply."""
    return SLOT.sub(lambda m: SAMPLES[m.group(1)], template)


def expected(payload: str) -> Tuple[str, List[Tuple[str, str]]]:
    """Intent and sorted (entity, value) pairs of a /intent{...} payload."""
    match = PAYLOAD.match(payload.replace("{{", "{").replace("}}", "}").strip())
    assert match, f"payload {payload!r} is not /intent or /intent{{...}}"
    entities = json.loads(match.group("entities") or "{}")
    return match.group("intent"), sorted((k, str(v)) for k, v in entities.items())


def typed_variants(title: str) -> List[str]:
    """The title as a customer might type it: as is, lower case, shouting, spaced, with '!'."""
    return [title, title.lower(), title.upper() + "!", "  " + title.replace(" ", "  ") + " .", title + "?"]


@pytest.fixture(scope="module")
def agent() -> Agent:
    assert MODEL.is_file(), "train first: .venv/bin/rasa train --fixed-model-name current"
    return Agent.load(str(MODEL))


def parse(agent: Agent, text: str) -> Dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def test_the_domain_has_buttons_to_check() -> None:
    assert len(list(buttons())) >= 10


def test_every_typed_button_title_reaches_its_payload(agent: Agent) -> None:
    wrong = []
    for title, payload in buttons():
        intent, entities = expected(payload)
        for text in typed_variants(title):
            result = parse(agent, text)
            got_entities = sorted((e["entity"], str(e["value"])) for e in result.get("entities") or [])
            if result["intent"]["name"] != intent or got_entities != entities:
                wrong.append(f"{text!r}: {result['intent']['name']} {got_entities}, want {intent} {entities}")
    assert not wrong, "\n".join(wrong)


def test_a_title_inside_a_longer_message_is_left_to_the_classifiers(agent: Agent) -> None:
    result = parse(agent, "Premium sounds too expensive, what else is there")
    assert result["intent"]["confidence"] < 1.0


def test_titles_match_regardless_of_case_spacing_and_trailing_punctuation() -> None:
    assert normalise("  No,  cancel ANYWAY!! ") == normalise("no, cancel anyway")
    assert normalise("Yes, cancel it") != normalise("Yes, cancel")


def domain_with_buttons(*pairs: Tuple[str, str]) -> Domain:
    return Domain.from_dict(
        {
            "intents": ["affirm", "deny", "inform"],
            "entities": ["plan"],
            "responses": {
                f"utter_ask_{i}": [{"text": "?", "buttons": [{"title": t, "payload": p}]}]
                for i, (t, p) in enumerate(pairs)
            },
        }
    )


def test_one_title_with_two_payloads_fails_training() -> None:
    domain = domain_with_buttons(("OK", "/affirm"), ("ok!", "/deny"))
    with pytest.raises(InvalidConfigException, match="OK|ok!"):
        build_table(domain)


def test_the_same_title_and_payload_twice_is_fine_and_entities_are_kept() -> None:
    table = build_table(
        domain_with_buttons(("Yes", "/affirm"), ("yes", "/affirm"), ("Pro", '/inform{{"plan": "premium"}}'))
    )
    assert table["yes"] == {"intent": "affirm", "entities": []}
    assert table["pro"] == {"intent": "inform", "entities": [{"entity": "plan", "value": "premium"}]}


def test_payloads_that_are_plain_text_or_templated_are_skipped() -> None:
    table = build_table(
        domain_with_buttons(("Hello", "hello there"), ("Mine", '/inform{{"plan": "{plan}"}}'))
    )
    assert table == {}
