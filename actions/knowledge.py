"""Questions the flows don't cover (out-of-scope and open questions): answered from the help
centre (assistant/knowledge/), phrased by the LLM when one is configured. The action only
talks: it changes no slot but the offer of a human, and never touches customer data."""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.personal import turn_deadline
from actions.services import get_knowledge_base, get_llm
from assistant.knowledge.answers import GROUNDED_RELEVANCE, Answer, answer_question

DONT_KNOW = "I don't know the answer to that, and I couldn't find it in our help centre."  # utter_out_of_scope apologises


async def knowledge_answer(tracker: Tracker, min_relevance: float = GROUNDED_RELEVANCE) -> Answer:
    """The help centre's answer to the customer's latest message (assistant/knowledge/answers.py)."""
    question = tracker.latest_message.get("text") or ""
    deadline = turn_deadline(tracker)  # shared with the turn's other LLM calls
    return await answer_question(question, get_knowledge_base(), get_llm(), deadline, tracker.sender_id,
                                 min_relevance)  # fmt: skip


class ActionAnswerFromKnowledge(Action):
    """Answers from the best help-centre passages; without one, says so and offers a human."""

    def name(self) -> str:
        return "action_answer_from_knowledge"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        answer = await knowledge_answer(tracker)
        if answer.text:
            dispatcher.utter_message(text=answer.text)
            return []
        dispatcher.utter_message(text=DONT_KNOW)
        dispatcher.utter_message(response="utter_out_of_scope")
        dispatcher.utter_message(response="utter_offer_human")
        return [SlotSet("human_offered", True)]
