"""Identity claims: what a channel proved about the sender of a message, signed so that the
action server can trust it.

A channel (Rasa server) puts a claim into each user message's metadata under ``CLAIM_KEY``;
the action server reads it at session start (``session_started_metadata``) and before acting.
Clients can put anything into metadata, so a claim counts only when its HMAC, made with the
deployment's identity key over every field and the conversation id, is right and it is fresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, Mapping, Optional

from assistant.identity.permissions import IdentityState, Level

CLAIM_KEY = "northwind_identity"
MAX_AGE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Claim:
    """Who a channel says is writing in ``conversation_id``, and how it knows."""

    conversation_id: str
    channel: str
    external_id: Optional[str]
    customer_id: Optional[int]
    level: str
    method: str  # "jwt", "platform", "sender_address", "none"
    linkable: bool  # whether ``external_id`` is a lasting identifier worth linking to a customer
    issued_at: int

    @property
    def state(self) -> IdentityState:
        return IdentityState(self.customer_id, Level(self.level))


def sign_claim(claim: Claim, secret: bytes) -> Dict[str, Any]:
    """The claim as metadata, with its signature."""
    body = asdict(claim)
    return {**body, "sig": _mac(body, secret)}


def issue_claim(
    secret: bytes,
    conversation_id: str,
    channel: str,
    state: IdentityState,
    external_id: Optional[str] = None,
    method: str = "none",
    linkable: bool = False,
) -> Dict[str, Any]:
    """A signed claim for a message a channel is about to hand to Rasa."""
    claim = Claim(
        conversation_id=conversation_id,
        channel=channel,
        external_id=external_id,
        customer_id=state.customer_id,
        level=state.level.value,
        method=method,
        linkable=linkable,
        issued_at=int(time.time()),
    )
    return sign_claim(claim, secret)


def read_claim(
    metadata: Optional[Mapping[str, Any]],
    conversation_id: str,
    secret: bytes,
    max_age: int = MAX_AGE_SECONDS,
    now: Optional[float] = None,
) -> Optional[Claim]:
    """The claim in ``metadata`` when it is genuine, fresh and for this conversation, else None."""
    raw = (metadata or {}).get(CLAIM_KEY) if isinstance(metadata, Mapping) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("sig"), str):
        return None
    body = {key: value for key, value in raw.items() if key != "sig"}
    if not hmac.compare_digest(raw["sig"], _mac(body, secret)):
        return None
    try:
        claim = Claim(**body)
        Level(claim.level)
    except (TypeError, ValueError):
        return None
    age = (now or time.time()) - claim.issued_at
    if claim.conversation_id != conversation_id or not -60 <= age <= max_age:
        return None
    return claim


def _mac(body: Mapping[str, Any], secret: bytes) -> str:
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()
