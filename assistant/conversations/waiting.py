"""Waiting is never silence: what a customer is told while their conversation waits in the
queue for an agent (the bot itself is paused then, so the channel asks here after each of the
customer's messages).

The first message after the handoff is acknowledged with the place in the queue and a rough
wait, then at most one notice per ``QUEUE_NOTICE_SECONDS`` (agents see every message anyway).
When no agent is signed in, or outside opening hours, the notice says so and offers two ways
on: continue by e-mail (an agent answers at the address on file, or one the customer types;
on the e-mail channel, in the thread as before) or go back to the assistant (the conversation
is handed back and the bot answers again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Dict, List, Optional

import sqlalchemy as sa

from assistant.conversations import handoff
from assistant.conversations.lifecycle import PENDING
from assistant.conversations.registry import Actor
from assistant.identifiers import normalise_email
from assistant.settings import Settings
from assistant.store import Store
from assistant.store.conversation_models import Conversation
from assistant.store.models import Customer, utcnow

CHOOSE_EMAIL = "Continue by e-mail"
CHOOSE_BOT = "Back to the assistant"
CHOICES = [{"title": CHOOSE_EMAIL, "payload": CHOOSE_EMAIL}, {"title": CHOOSE_BOT, "payload": CHOOSE_BOT}]
EMAIL_TAG = "email-follow-up"
ALREADY_BY_EMAIL = ("You're writing to us by e-mail already: our support team will answer you here, in this "
                    "thread. Anything else you send reaches them too.")  # fmt: skip


@dataclass(frozen=True)
class Notice:
    """What to tell the customer; ``resume``: hand the conversation back to the bot first."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    resume: bool = False


def handoff_notice(info: handoff.QueueInfo) -> Notice:
    """What the customer is told at the moment of the handoff, after "I'm connecting you"."""
    return _where_we_stand(info)


def on_customer_message(
    store: Store, settings: Settings, conversation_id: str, content: str, now: Optional[datetime] = None
) -> Optional[Notice]:
    """Called by a channel after a customer's message in a conversation the bot is not
    answering: what to tell them, if anything (None: stay quiet, an agent has it)."""
    now = now or utcnow()
    with store.session() as s:
        conversation = s.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None or conversation.deleted_at is not None:
            return None
        handoff.customer_wrote(s, conversation, Actor("customer", conversation.external_id, "Customer"))
        if conversation.status != PENDING:
            return None
        notice = _choice(s, conversation, content)
        if notice is not None or not _notice_due(conversation, now, settings):
            return notice
        conversation.last_notice_at = now
    return _where_we_stand(handoff.queue_info(store, conversation, settings, now))


def _choice(s: sa.orm.Session, conversation: Conversation, content: str) -> Optional[Notice]:
    """The customer's answer to the offer: an e-mail address asked for, or one of the choices."""
    said = " ".join(content.lower().split()).strip(".!")
    if conversation.follow_up == "email_requested":
        address = normalise_email(content)
        if address:
            return _follow_up_by_email(conversation, address)
    if said in (CHOOSE_BOT.lower(), "back to the bot", "back to the assistant", "bot"):
        by = Actor("customer", conversation.external_id, "Customer")
        handoff.handed_back(s, conversation, by, "customer went back to the assistant")
        return Notice("You're back with the assistant. What can I help you with?", resume=True)
    if said in (CHOOSE_EMAIL.lower(), "continue by email", "by e-mail", "by email", "e-mail", "email"):
        if conversation.channel == "email":  # the agents' replies go out in this thread anyway
            return Notice(ALREADY_BY_EMAIL)
        customer = s.get(Customer, conversation.customer_id) if conversation.customer_id else None
        if customer is not None:
            return _follow_up_by_email(conversation, customer.email)
        conversation.follow_up = "email_requested"
        return Notice("Which e-mail address should our team write to?")
    return None


def _follow_up_by_email(conversation: Conversation, address: str) -> Notice:
    conversation.follow_up, conversation.contact_email = "email", address
    conversation.tags = sorted(set(conversation.tags or []) | {EMAIL_TAG})
    return Notice(
        f"Thanks! Our support team will answer you by e-mail at {_masked(address)}. "
        "You can close this chat; anything else you write here reaches them too."
    )


def _notice_due(conversation: Conversation, now: datetime, settings: Settings) -> bool:
    last = conversation.last_notice_at
    return last is None or now - last >= timedelta(seconds=settings.queue_notice_seconds)


def _where_we_stand(info: handoff.QueueInfo) -> Notice:
    if not info.open_now:
        return Notice(
            f"Our support team is away right now (we're there {info.hours}). You can leave your "
            "message here, continue by e-mail and we'll answer you there, or go back to the assistant.",
            CHOICES,
        )
    if info.agents_online == 0:
        return Notice(
            "No one from our support team is signed in right now. You can wait here, continue "
            "by e-mail and we'll answer you there, or go back to the assistant.",
            CHOICES,
        )
    minutes = "a minute" if info.wait_minutes == 1 else f"{info.wait_minutes} minutes"
    return Notice(
        f"You're number {info.position} in the queue; someone should be with you in about "
        f"{minutes}. Everything you write here reaches our team."
    )


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
