"""The customers' own chat API over the conversation model: only ever their own conversations
(another customer's is "not found"), messages read from the tracker store, and a message
posted through the web channel's endpoint with the customer's identity, so that it is the same
Rasa turn as on the socket (identity claim, handoff, acknowledgements) and the conversation can
be continued on the web chat page."""

from __future__ import annotations

import uuid
from typing import Any, Dict, Optional

from admin_api.context import Services
from admin_api.errors import ApiError, NotFoundError
from admin_api.security.principal import Principal
from admin_api.security.tokens import channel_token
from assistant.conversations import registry
from assistant.conversations.lifecycle import CLOSED
from assistant.conversations.registry import Actor, change_status, ensure
from assistant.store import Store
from assistant.store.conversation_models import Conversation
from assistant.store.models import Handoff, utcnow

CHANNEL = "webchat"


def own(store: Store, principal: Principal, conversation_id: str) -> Conversation:
    conversation = registry.find(store, conversation_id)
    mine = conversation is not None and conversation.customer_id == principal.customer_id
    if (
        not mine
        or principal.customer_id is None
        or conversation is None
        or conversation.deleted_at is not None
    ):
        raise NotFoundError("No such conversation", code="CONVERSATION_NOT_FOUND")
    return conversation


def start(store: Store, principal: Principal, title: Optional[str]) -> Conversation:
    conversation_id = f"chat-{uuid.uuid4().hex}"
    with store.session() as s:
        conversation = ensure(s, conversation_id, CHANNEL, principal.sub, principal.customer_id)
        conversation.title = (title or "").strip() or None
        return conversation


def delete(store: Store, principal: Principal, conversation_id: str) -> None:
    """Hides the conversation for good (its tracker events are erased by the caller)."""
    with store.session() as s:
        conversation = registry.live(s, conversation_id)
        change_status(s, conversation, CLOSED, Actor("customer", principal.id, principal.name),
                      "deleted by the customer", assignee=None, checked=False)  # fmt: skip
        conversation.deleted_at = utcnow()
        s.query(Handoff).filter(
            Handoff.conversation_id == conversation_id, Handoff.status != "resolved"
        ).update({"status": "resolved", "resolved_at": utcnow()}, synchronize_session=False)


async def post(
    services: Services, principal: Principal, conversation: Conversation, content: str
) -> Dict[str, Any]:
    """Sends the customer's message through the web channel and returns it with the replies
    Rasa stored for it (empty while an agent has the conversation: they answer later)."""
    if conversation.status == CLOSED:
        raise ApiError("This conversation is closed: start a new one", code="CONVERSATION_CLOSED", status=409)
    if conversation.channel != CHANNEL:
        raise ApiError(f"Continue this conversation on its channel ({conversation.channel})",
                       {"channel": conversation.channel}, code="OTHER_CHANNEL", status=409)  # fmt: skip
    token = channel_token(services.jwt_secret, principal.sub, "customer", principal.name)
    message = await services.rasa.channel_message(CHANNEL, conversation.id, content, token)
    replies = await services.run(services.tracker.replies_after, conversation.id, str(message.get("id")))
    return {"message": message, "replies": replies}
