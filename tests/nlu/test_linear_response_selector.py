"""The linear response selector picks the FAQ topic of a question and reports it in Rasa's
response-selector format (what utter_faq reads), also after being stored and loaded."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.plugins.linear_response_selector import LinearResponseSelector
from tests.nlu.components import create, featurize, storage

TOPICS = {
    "faq/opening_hours": ["when are you open", "what are your opening hours", "are you open on sunday"],
    "faq/gift_cards": ["do you sell gift cards", "do gift cards expire", "how do I use a gift voucher"],
}
RESPONSES = {"utter_faq/opening_hours": [{"text": "9 to 5"}], "utter_faq/gift_cards": [{"text": "Yes"}]}


def training_data() -> TrainingData:
    examples = [
        Message(data={TEXT: t, "intent": "faq", "intent_response_key": key})
        for key, texts in TOPICS.items()
        for t in texts
    ]
    examples.append(Message(data={TEXT: "hello", "intent": "greet"}))
    return TrainingData(examples, responses=RESPONSES)


def test_the_topic_and_its_answer_are_given_in_rasas_format(tmp_path: Path) -> None:
    store, data = storage(tmp_path), training_data()
    messages = [Message(data={TEXT: "what time do you open on saturday"})]
    featurize(store, data, messages)
    selector = create(LinearResponseSelector, store, "faq_selector")
    selector.train(data)
    loaded = LinearResponseSelector.load(
        {**LinearResponseSelector.get_default_config()},
        store,
        Resource("faq_selector"),
        ExecutionContext(GraphSchema({}), node_name="faq_selector"),
    )
    loaded.process(messages)
    output = messages[0].get("response_selector")
    assert output["all_retrieval_intents"] == ["faq"]
    response = output["faq"]["response"]
    assert response["intent_response_key"] == "faq/opening_hours"
    assert response["utter_action"] == "utter_faq/opening_hours"
    assert response["responses"] == [{"text": "9 to 5"}]
    assert output["faq"]["ranking"][0]["intent_response_key"] == "faq/opening_hours"
