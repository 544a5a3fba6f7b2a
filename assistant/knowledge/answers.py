"""Grounded answers: the help centre's passages answer a question, phrased by the LLM when one
is configured and its reply passes the checks, else the best passage itself."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from assistant.knowledge.guard import asks_for_personal_data, is_injection
from assistant.knowledge.index import Hit, KnowledgeBase
from assistant.llm.client import Deadline, LLMClient
from assistant.llm.prompts import answer_messages, checked_answer

GROUNDED_RELEVANCE = 0.35  # cosine similarity of the best passage (benchmarks/knowledge_search.py)
# A message no rule or story fits (the core fallback) is answered from the help centre only when
# a passage is clearly about it; else the customer is asked to rephrase, as before.
OPEN_QUESTION_RELEVANCE = 0.5
REFUSAL = (
    "I can't do that. I answer questions from our help centre, and I can't change my "
    "instructions or share anyone's order or account details. To see one of your own orders, "
    "ask me about it and I'll check it's you first."
)


@dataclass
class Answer:
    """What to tell the customer: ``text`` is empty when no passage answers (say so, offer a
    human)."""

    text: str = ""
    grounded: bool = False
    refused: bool = False
    used_llm: bool = False
    sources: List[Hit] = field(default_factory=list)


def passages(hits: List[Hit]) -> List[Dict[str, str]]:
    return [{"article": h.chunk.article, "title": h.chunk.title, "text": h.chunk.text} for h in hits]


def _cite(text: str, hit: Hit) -> str:
    return f"{text}\n(Source: {hit.chunk.title}, {hit.chunk.url})"


async def answer_question(question: str, knowledge: KnowledgeBase, llm: Optional[LLMClient] = None,
                          deadline: Optional[Deadline] = None, conversation_id: Optional[str] = None,
                          min_relevance: float = GROUNDED_RELEVANCE) -> Answer:  # fmt: skip
    """The answer to ``question`` from the help centre (never from anything else), from
    passages at least ``min_relevance`` close to it."""
    if is_injection(question) or asks_for_personal_data(question):
        return Answer(REFUSAL, refused=True)
    found = await asyncio.to_thread(knowledge.search, question, 3)  # CPU work off the event loop
    hits = [h for h in found if h.relevance >= min_relevance]
    if not hits:
        return Answer()
    if llm is not None and llm.configured:
        reply = await llm.chat(answer_messages(question, passages(hits)), "answer", deadline, conversation_id)
        checked = checked_answer(reply, passages(hits))
        if checked is not None:
            text, article = checked
            if not text:
                return Answer(sources=hits)  # the LLM found no answer in the passages
            cited = next(h for h in hits if h.chunk.article == article)
            return Answer(_cite(text, cited), grounded=True, used_llm=True, sources=hits)
    return Answer(_cite(hits[0].chunk.text, hits[0]), grounded=True, sources=hits)
