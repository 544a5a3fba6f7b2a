"""Redis and PostgreSQL break while customers talk over REST. Every message either gets a reply
and is stored, or gets a visible failure (503, Retry-After, the envelope) and is sent again;
after recovery every conversation goes on from its stored state, and a message sent again has
one effect only. Readiness fails during an outage, liveness does not."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from typing import Any, Callable, Dict, List

import psycopg2
import pytest
import requests

from tests.chaos.client import FOLLOW_UP, Sent, send, under_load
from tests.chaos.conftest import ChaosStack

pytestmark = pytest.mark.integration
CUSTOMERS = 6


def customers(label: str) -> List[str]:
    run = uuid.uuid4().hex[:6]
    return [f"{label}-{run}-{i}" for i in range(CUSTOMERS)]


def outage(
    chaos: ChaosStack, break_it: Callable[[], None], repair: Callable[[], None], seconds: float
) -> Callable:
    """Breaks a service 0.8 s into the conversations, samples health while it is down, repairs
    it and waits until the Rasa server is ready again."""

    def run() -> Dict[str, Any]:
        time.sleep(0.8)
        break_it()
        probe = requests.post(f"{chaos.rasa.url}/webhooks/rest/webhook", timeout=30,
                              json={"sender": f"probe-{uuid.uuid4().hex[:8]}", "message": "hi"})  # fmt: skip
        seen = sample_health(chaos, seconds)
        seen["probe"] = {probe.status_code}
        repair()
        deadline = time.monotonic() + 30
        while requests.get(f"{chaos.rasa.url}/health/ready", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "the Rasa server did not get ready again"
            time.sleep(0.2)
        return seen

    return run


def sample_health(chaos: ChaosStack, seconds: float) -> Dict[str, Any]:
    urls = {"rasa ready": f"{chaos.rasa.url}/health/ready", "rasa live": f"{chaos.rasa.url}/health/live",
            "actions ready": f"{chaos.stack.action_url}/health/ready",
            "actions live": f"{chaos.stack.action_url}/health/live"}  # fmt: skip
    seen: Dict[str, set] = {name: set() for name in urls}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, url in urls.items():
            seen[name].add(requests.get(url, timeout=5).status_code)
        time.sleep(0.2)
    return seen


def stored_message_ids(chaos: ChaosStack, senders: List[str]) -> Counter:
    with psycopg2.connect(chaos.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT data FROM events WHERE type_name = 'user' AND sender_id = ANY(%s)", (senders,))
        return Counter(json.loads(data)["message_id"] for (data,) in cur.fetchall())


def tickets_per_customer(chaos: ChaosStack, senders: List[str]) -> Counter:
    with psycopg2.connect(chaos.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT conversation_id FROM tickets WHERE conversation_id = ANY(%s)", (senders,))
        return Counter(conversation for (conversation,) in cur.fetchall())


def assert_every_answer_is_a_stored_reply_or_a_visible_failure(sent: List[Sent]) -> int:
    """Checks each HTTP answer; returns how many were visible failures."""
    failures = 0
    for message in sent:
        for answer in message.answers:
            if answer.status == 200:
                assert answer.body, f"a 200 without a reply for {message.text!r}"
                continue
            assert answer.status == 503, f"{message.text!r}: {answer.status} {answer.body}"
            assert answer.retry_after and answer.body["error"]["code"] == "SERVICE_UNAVAILABLE"
            failures += 1
        assert message.answers[-1].status == 200, f"{message.text!r} never got through"
        assert message.expect.lower() in message.reply.lower(), f"{message.text!r} got {message.reply!r}"
    return failures


def assert_nothing_lost_nor_doubled(chaos: ChaosStack, senders: List[str], sent: List[Sent]) -> None:
    stored = stored_message_ids(chaos, senders)
    assert stored == Counter(message.message_id for message in sent), "each message stored exactly once"
    assert tickets_per_customer(chaos, senders) == Counter(senders), "one complaint, one ticket each"
    for sender in senders:  # the conversations go on from their stored state
        follow_up = send(chaos.rasa.url, Sent(sender, f"{sender}-next", *FOLLOW_UP))
        assert FOLLOW_UP[1] in follow_up.reply
    complaint = next(m for m in sent if m.expect == "complaint")  # a retried message: one effect
    again = requests.post(f"{chaos.rasa.url}/webhooks/rest/webhook", timeout=30,
                          json={"sender": complaint.sender, "message": complaint.text,
                                "message_id": complaint.message_id})  # fmt: skip
    assert again.headers.get("X-Replayed") == "true" and again.json() == complaint.answers[-1].body
    assert tickets_per_customer(chaos, [complaint.sender])[complaint.sender] == 1


def test_redis_killed_mid_conversation_fails_visibly_and_loses_nothing(chaos: ChaosStack) -> None:
    senders = customers("redis")
    sent, health = under_load(chaos.rasa.url, senders, outage(chaos, chaos.redis.kill, chaos.redis.start, 3))
    assert_every_answer_is_a_stored_reply_or_a_visible_failure(sent)
    assert health["probe"] == {503}, "a message sent during the outage failed visibly"
    assert_nothing_lost_nor_doubled(chaos, senders, sent)
    assert 503 in health["rasa ready"] and health["rasa live"] == {200}
    assert health["actions ready"] == {200}, "the action server does not use Redis"


def test_postgres_stopped_mid_conversation_fails_visibly_and_loses_nothing(chaos: ChaosStack) -> None:
    senders = customers("pg")
    sent, health = under_load(
        chaos.rasa.url, senders, outage(chaos, chaos.postgres.stop, chaos.postgres.start, 3)
    )
    assert_every_answer_is_a_stored_reply_or_a_visible_failure(sent)
    assert health["probe"] == {503}, "a message sent during the outage failed visibly"
    assert_nothing_lost_nor_doubled(chaos, senders, sent)
    assert 503 in health["rasa ready"] and health["rasa live"] == {200}
    assert 503 in health["actions ready"] and health["actions live"] == {200}


def restart(stop: Callable[[], None], start: Callable[[], None]) -> Callable[[], Dict[str, Any]]:
    def run() -> Dict[str, Any]:
        time.sleep(0.8)
        stop()
        start()
        return {}

    return run


@pytest.mark.parametrize("service", ["redis", "postgres"])
def test_a_quick_restart_costs_a_delay_not_an_error(chaos: ChaosStack, service: str) -> None:
    server = chaos.redis if service == "redis" else chaos.postgres
    senders = customers(f"blip-{service}")
    sent, _ = under_load(chaos.rasa.url, senders, restart(server.stop, server.start))
    assert assert_every_answer_is_a_stored_reply_or_a_visible_failure(sent) == 0
    assert stored_message_ids(chaos, senders) == Counter(message.message_id for message in sent)
