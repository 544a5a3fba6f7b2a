"""Sending recorded messages through the Graph API, as Meta's error codes ask
(channels/whatsapp/meta_errors.py):

- throughput (130429), 5xx and network failures: tried again with exponential backoff and
  jitter, up to ``WHATSAPP_SEND_ATTEMPTS`` tries;
- too many messages to one number (131056): that number is paced (one message per
  ``WHATSAPP_PAIR_PACE_SECONDS`` for a minute), then the message is tried again;
- outside the 24-hour window (131047, at once or in a later status): the message fails, and the
  configured re-engagement template goes out instead (at most once a day per conversation); the
  rest of the replies fail with it, as they would;
- an invalid token or missing permission: logged at CRITICAL, the messages fail;
- anything else: the message fails with Meta's error.

Every outcome is recorded on the message's row; nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Dict, List, Optional

from assistant.settings import WhatsAppSettings
from assistant.store import Store
from assistant.store.models import utcnow
from channels.whatsapp import outbox
from channels.whatsapp.conversation import wa_id_of
from channels.whatsapp.dbcall import db
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.meta_errors import GraphFailure, Remedy
from channels.whatsapp.outgoing import template_draft
from channels.whatsapp.rows import OutboundWork

logger = logging.getLogger(__name__)

PACE_WINDOW_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 30.0
REENGAGE_EVERY = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: ``sent`` with Meta's id, or ``failed`` with the error."""

    record_id: int
    status: str
    wamid: Optional[str] = None
    error: Optional[Dict[str, Any]] = None
    remedy: Optional[Remedy] = None
    template: Optional[Outcome] = None  # the re-engagement template sent instead


class Pacer:
    """Per-number pacing after Meta said we send one number too much (131056), in this process."""

    def __init__(self, gap_seconds: float) -> None:
        self.gap = gap_seconds
        self._paced_until: Dict[str, float] = {}
        self._next: Dict[str, float] = {}

    def slow_down(self, wa_id: str) -> None:
        now = time.monotonic()
        self._paced_until[wa_id] = now + PACE_WINDOW_SECONDS
        self._next[wa_id] = now + self.gap

    async def wait(self, wa_id: str) -> None:
        now = time.monotonic()
        for number in [n for n, until in self._paced_until.items() if until < now]:
            self._paced_until.pop(number, None)
            self._next.pop(number, None)
        delay = self._next.get(wa_id, now) - now
        if delay > 0:
            await asyncio.sleep(delay)

    def sent(self, wa_id: str) -> None:
        if wa_id in self._paced_until:
            self._next[wa_id] = time.monotonic() + self.gap


class Sender:
    """Sends recorded messages and records what became of them."""

    def __init__(self, client: GraphClient, store: Store, settings: WhatsAppSettings) -> None:
        self.client, self.store, self.settings = client, store, settings
        self.pacer = Pacer(settings.pair_pace_seconds)

    async def deliver(self, works: List[OutboundWork]) -> List[Outcome]:
        """Sends ``works`` in order. After a failure that concerns the whole conversation (the
        24-hour window closed, our token refused) the rest fail with the same error unsent."""
        outcomes: List[Outcome] = []
        for index, work in enumerate(works):
            outcome = await self.send(work)
            outcomes.append(outcome)
            if outcome.remedy in (Remedy.REENGAGE, Remedy.AUTH):
                for rest in works[index + 1 :]:
                    await db(outbox.mark_failed, self.store, rest, outcome.error or {}, 0)
                    outcomes.append(
                        Outcome(rest.id, outbox.FAILED, error=outcome.error, remedy=outcome.remedy)
                    )
                break
        return outcomes

    async def send(self, work: OutboundWork) -> Outcome:
        """One message, tried as its errors allow."""
        wa_id = wa_id_of(work.conversation_id)
        if wa_id is None or work.body is None:
            error = {"code": None, "title": "Not a WhatsApp conversation or no message to send"}
            await db(outbox.mark_failed, self.store, work, error, 0)
            return Outcome(work.id, outbox.FAILED, error=error, remedy=Remedy.FAIL)
        attempt = 0
        while True:
            attempt += 1
            await self.pacer.wait(wa_id)
            try:
                wamid = await self.client.send({**work.body, "to": wa_id})  # type: ignore[typeddict-item]
            except GraphFailure as failure:
                if await self._again(failure, wa_id, attempt):
                    continue
                return await self._failed(work, failure, attempt)
            self.pacer.sent(wa_id)
            await db(outbox.mark_sent, self.store, work, wamid, attempt)
            return Outcome(work.id, outbox.SENT, wamid=wamid)

    async def _again(self, failure: GraphFailure, wa_id: str, attempt: int) -> bool:
        """Whether to try again (after waiting as the error asks)."""
        if failure.remedy not in (Remedy.RETRY, Remedy.PACE) or attempt >= self.settings.send_attempts:
            return False
        if failure.remedy is Remedy.PACE:
            self.pacer.slow_down(wa_id)
        else:
            await asyncio.sleep(self._backoff(attempt))
        logger.warning("WhatsApp: sending to %s failed (%s), trying again", _masked(wa_id), failure)
        return True

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.retry_base_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
        return random.uniform(ceiling / 2, ceiling)

    async def _failed(self, work: OutboundWork, failure: GraphFailure, attempts: int) -> Outcome:
        if failure.remedy is Remedy.AUTH:
            logger.critical("WhatsApp: the Graph API refused our credentials (%s). Check "
                            "WHATSAPP_ACCESS_TOKEN and its permissions: no message can be sent until "
                            "it is fixed.", failure)  # fmt: skip
        else:
            logger.error("WhatsApp: message %s to %s failed after %d tries: %s", work.id,
                         _masked(work.conversation_id), attempts, failure)  # fmt: skip
        await db(outbox.mark_failed, self.store, work, failure.record(), attempts)
        template = None
        if failure.remedy is Remedy.REENGAGE and work.kind != "template":
            template = await self.reengage(work.conversation_id)
        return Outcome(
            work.id, outbox.FAILED, error=failure.record(), remedy=failure.remedy, template=template
        )

    async def reengage(self, conversation_id: str) -> Optional[Outcome]:
        """Sends the re-engagement template to a conversation outside its 24-hour window."""
        name = self.settings.reengagement_template
        if not name:
            logger.error("WhatsApp: %s is outside the 24-hour window and WHATSAPP_REENGAGEMENT_TEMPLATE "
                         "is not set: the customer gets nothing until they write again",
                         _masked(conversation_id))  # fmt: skip
            return None
        if await db(outbox.reengaged_since, self.store, conversation_id, utcnow() - REENGAGE_EVERY):
            return None
        draft = template_draft(name, self.settings.template_language)
        [work] = await db(outbox.record, self.store, conversation_id, [draft], "system")
        return await self.send(work)


def _masked(conversation_or_number: str) -> str:
    """A number for logs: enough to tell conversations apart, not enough to call anyone."""
    return conversation_or_number[:-4] + "****" if len(conversation_or_number) > 4 else "****"
