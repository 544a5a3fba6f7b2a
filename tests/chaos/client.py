"""A well-behaved REST client for the chaos tests: each customer sends a scripted conversation,
one message at a time with a ``message_id``, and sends a message again (same body) after a
non-2xx answer, waiting as ``Retry-After`` says. Every answer is kept for the assertions."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import requests

# (message, a phrase its reply must contain when the conversation's stored state was used)
SCRIPT: List[Tuple[str, str]] = [
    ("hi", "help"),
    ("where is my order", "order number"),
    ("48213", "postcode"),
    ("62701", "1Z999AA10123456784"),
    ("your service is terrible", "complaint"),
    ("no", "anything else"),
    ("I want to give feedback", "rate your experience"),
]
FOLLOW_UP = ("5", "5/5")  # answers the feedback form left open by the script's last message


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all
    body: Any
    retry_after: Optional[str]


@dataclass
class Sent:
    sender: str
    message_id: str
    text: str
    expect: str
    answers: List[Answer] = field(default_factory=list)

    @property
    def reply(self) -> str:
        final = self.answers[-1]
        return " ".join(str(m.get("text") or "") for m in final.body) if final.status == 200 else ""


def send(url: str, sent: Sent, attempts: int = 10) -> Sent:
    body = {"sender": sent.sender, "message": sent.text, "message_id": sent.message_id}
    for _ in range(attempts):
        try:
            response = requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=30)
            answer = Answer(response.status_code, response.json(), response.headers.get("Retry-After"))
        except (requests.RequestException, ValueError):
            answer = Answer(0, None, None)
        sent.answers.append(answer)
        if 200 <= answer.status < 300:
            break
        time.sleep(float(answer.retry_after or 1))
    return sent


def converse(url: str, sender: str, script: List[Tuple[str, str]], pause: float = 0.4) -> List[Sent]:
    """The script, with a customer's pause before each message (so talks overlap the outage)."""
    sent = []
    for i, (text, expect) in enumerate(script):
        time.sleep(pause)
        sent.append(send(url, Sent(sender, f"{sender}-{i}", text, expect)))
    return sent


def under_load(
    url: str, senders: List[str], chaos: Callable[[], Dict[str, Any]]
) -> Tuple[List[Sent], Dict[str, Any]]:
    """Every customer talks at once while ``chaos`` runs; what chaos saw comes back too."""
    with ThreadPoolExecutor(max_workers=len(senders) + 1) as pool:
        talks = [pool.submit(converse, url, sender, SCRIPT) for sender in senders]
        seen = pool.submit(chaos).result()
        return [sent for talk in talks for sent in talk.result()], seen
