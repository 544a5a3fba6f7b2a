"""One customer identity across channels: (channel, external id) -> customer.

Channels hand :func:`resolve` what they know about a sender (a web login's subject, a WhatsApp
number Meta has verified, an e-mail's From address) and get back the conversation's identity.
Links are stored with how they were proven (``verified_by``) and when; a one-time code proves
a link too (:func:`link`). Only this module reads or writes ``channel_identities``.
"""

from __future__ import annotations

import re
from typing import List, Optional

import sqlalchemy as sa

from assistant.identity.permissions import ANONYMOUS, IdentityState, Level
from assistant.store import Store
from assistant.store.models import ChannelIdentity, Customer, utcnow

WEBCHAT, WHATSAPP, EMAIL = "webchat", "whatsapp", "email"
# How each kind of proof counts: a signed-in login and a number Meta has verified prove the
# person; an e-mail's From line can be forged, so it is only a claim.
PROOF_LEVELS = {"jwt": Level.VERIFIED, "platform": Level.VERIFIED, "code": Level.VERIFIED,
                "phone_match": Level.VERIFIED, "sender_address": Level.CLAIMED}  # fmt: skip


def normalise_phone(value: str) -> Optional[str]:
    """``+15550101`` for ``+1 555 0101`` or ``1-555-0101``: E.164 digits with a plus."""
    digits = re.sub(r"\D", "", value or "")
    return f"+{digits}" if 7 <= len(digits) <= 15 else None


def link(store: Store, channel: str, external_id: str, customer_id: int, verified_by: str) -> ChannelIdentity:
    """Links (or re-links) ``external_id`` on ``channel`` to the customer, noting the proof."""
    with store.session() as s:
        row = _find(s, channel, external_id)
        if row is None:
            row = ChannelIdentity(channel=channel, external_id=external_id)
            s.add(row)
        row.customer_id, row.verified_by = customer_id, verified_by
        row.verified_at = utcnow() if PROOF_LEVELS.get(verified_by) is Level.VERIFIED else None
        row.last_seen_at = utcnow()
        return row


def links_of(store: Store, customer_id: int) -> List[ChannelIdentity]:
    with store.session() as s:
        query = sa.select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)
        return list(s.scalars(query.order_by(ChannelIdentity.id)))


def resolve(store: Store, channel: str, external_id: Optional[str], proof: str) -> IdentityState:
    """The identity of a sender whom ``channel`` knows as ``external_id``, proven by ``proof``
    (``jwt``, ``platform`` or ``sender_address``)."""
    if not external_id:
        return ANONYMOUS
    with store.session() as s:
        row = _find(s, channel, external_id)
        if row is not None:
            row.last_seen_at = utcnow()
            return IdentityState(row.customer_id, _level(row.verified_by, proof))
        customer_id = _match_on_file(s, channel, external_id)
    if customer_id is None:
        return ANONYMOUS
    method = "phone_match" if channel == WHATSAPP else "sender_address"
    link(store, channel, external_id, customer_id, method)
    return IdentityState(customer_id, PROOF_LEVELS[method])


def _level(verified_by: str, proof: str) -> Level:
    """A link counts for no more than the proof given now (a forged From line stays a claim)."""
    stored, now = PROOF_LEVELS.get(verified_by, Level.CLAIMED), PROOF_LEVELS.get(proof, Level.CLAIMED)
    return Level.VERIFIED if stored is Level.VERIFIED and now is Level.VERIFIED else Level.CLAIMED


def _match_on_file(s: sa.orm.Session, channel: str, external_id: str) -> Optional[int]:
    """A customer whose phone (WhatsApp) or e-mail (e-mail) on file is ``external_id``."""
    if channel == EMAIL:
        query = sa.select(Customer.id).where(Customer.email == external_id.strip().lower())
        return s.scalars(query).first()
    if channel == WHATSAPP:
        wanted = normalise_phone(external_id)
        rows = s.execute(sa.select(Customer.id, Customer.phone).where(Customer.phone.isnot(None)))
        matches = [cid for cid, phone in rows if wanted and normalise_phone(phone) == wanted]
        return matches[0] if len(matches) == 1 else None
    return None


def _find(s: sa.orm.Session, channel: str, external_id: str) -> Optional[ChannelIdentity]:
    query = sa.select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
    )
    return s.scalars(query).first()
