"""E-mail turns: a stored e-mail (channels/email/inbox.py) run through Rasa as one turn with
``channels.turns.serve_turn`` (the conversation's lock, a deadline, a ``Message-ID`` already
stored answered from storage), then marked answered in the transaction that queues the reply.

Failure contract (issue 7): a turn that fails for now leaves the message unprocessed (not
flagged ``\\Seen``, status ``received``) and is tried again after a backoff, up to
``EMAIL_TURN_ATTEMPTS`` tries; after that, or at once for a failure a retry cannot fix, the
message is marked failed and the sender is asked to write again. A conversation's messages run
one at a time, in the order they arrived.

Waiting is never silence: in a conversation handed to agents (the bot paused), the turn stores
the customer's e-mail and the bot says nothing; the channels' one notice module
(channels/waiting_notice.py) then says what to tell them (place in the queue and rough wait,
at most once per ``QUEUE_NOTICE_SECONDS``; or that no agent is there, with the choices), kept
in the tracker and sent as the reply in the thread. A turn replayed from storage after a crash
sends the stored notice again (once: the message is answered once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Set

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from assistant import mailer
from assistant.identity import links
from assistant.identity.claims import CLAIM_KEY, issue_claim
from assistant.identity.secret import identity_secret
from assistant.retry import retry_async
from assistant.settings import Settings
from assistant.store import Store
from channels.background import ConversationLocks, failure_reason, failure_record, retry_delay
from channels.email import inbox
from channels.email.output import CHANNEL, TurnOutput
from channels.email.parse import ParsedEmail
from channels.email.replies import Earlier, Reply, compose, texts_of
from channels.turns import serve_turn
from channels.waiting_notice import while_waiting

logger = logging.getLogger(__name__)
TURN_FAILED = ("Sorry, we could not process your e-mail just now. Please send it again in a few minutes; "
               "nothing you asked for has been done yet.")  # fmt: skip


async def db(operation: Callable[..., Any], *args: Any) -> Any:
    """A store call on a worker thread, retried on a lost database connection."""

    async def attempt() -> Any:
        return await asyncio.to_thread(operation, *args)

    return await retry_async(attempt)


class Worker:
    """Runs the turns of one Rasa process's e-mails and keeps the outbox moving."""

    def __init__(
        self, settings: Settings, store: Callable[[], Store], agent: Callable[[], Optional[Agent]]
    ) -> None:
        self.settings, self.config = settings, settings.email
        self._store, self._agent = store, agent
        self.turns = asyncio.Semaphore(4)
        self._conversations = ConversationLocks()
        self._outbox = asyncio.Event()
        self._tasks: Set[asyncio.Task] = set()
        self.on_finished: Callable[[], None] = lambda: None  # the listener's wake-up

    @property
    def store(self) -> Store:
        return self._store()

    @property
    def own_addresses(self) -> List[str]:
        return [a for a in (self.config.address, own_address(self.settings), self.config.imap_user) if a]

    async def handle(self, mail: ParsedEmail) -> str:
        """Stores ``mail`` (once) and, when it is to be answered and due, runs its turn; returns
        its status afterwards (``received``: unfinished, leave it unprocessed)."""
        return await self.finish(await self.store_mail(mail))

    async def store_mail(self, mail: ParsedEmail) -> inbox.Stored:
        return await db(inbox.record, self.store, mail, self.own_addresses)

    async def finish(self, stored: inbox.Stored) -> str:
        """Runs the turn of a stored e-mail that is still to be answered."""
        if stored.status != inbox.RECEIVED:
            return stored.status
        return await self.run(stored.id, stored.conversation_id)

    async def run(self, row_id: int, conversation_id: Optional[str] = None) -> str:
        """The turn of a stored message, after the conversation's earlier ones (a task that
        starts first queues first for the conversation's lock)."""
        held_since = None
        if conversation_id is None:
            work = await self._claim(row_id, None)
            if work is None:
                return await db(inbox.status_of_row, self.store, row_id)
            conversation_id, held_since = work.conversation_id, work.claim
        try:
            async with self._conversations.hold(conversation_id), self.turns:
                held = await self._claim(row_id, held_since)
                if held is None:
                    return await db(inbox.status_of_row, self.store, row_id)
                held_since = held.claim
                return await self.process(held)
        except asyncio.CancelledError:  # stopping: another process (or the next start) takes it
            if held_since is not None:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(inbox.release_claim, self.store, row_id, held_since)
            raise

    async def _claim(self, row_id: int, held_since: Optional[datetime]) -> Optional[inbox.Work]:
        """``inbox.claim``; cancelled meanwhile (the listener stops), a claim the database made
        anyway is given back at once rather than left to its lease."""
        claiming = asyncio.ensure_future(
            db(inbox.claim, self.store, row_id, held_since, self.config.lease_seconds)
        )
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                work = await claiming
                if work is not None:
                    await asyncio.to_thread(inbox.release_claim, self.store, row_id, work.claim)
            raise

    async def process(self, work: inbox.Work) -> str:
        """One e-mail: answered (or failed visibly), reply queued in the same transaction."""
        try:
            messages = await self._turn(work)
            reply = await db(self._reply, work, texts_of(messages)) if texts_of(messages) else None
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return await self._failed(work, error)
        if await db(inbox.answer, self.store, work, reply):
            self.kick_outbox()
            return inbox.ANSWERED
        return await db(inbox.status_of_row, self.store, work.id)

    async def _turn(self, work: inbox.Work) -> List[Dict[str, Any]]:
        claim = await db(self._identity, work)
        details = {"subject": work.subject, "attachments": work.details.get("attachments", [])}
        metadata = {CLAIM_KEY: claim, "northwind_request_id": work.message_id, "northwind_email": details}
        text = work.text or work.subject or "(an e-mail without text)"
        message = UserMessage(text, TurnOutput(), work.conversation_id, input_channel=CHANNEL,
                              message_id=work.message_id, metadata=metadata)  # fmt: skip
        result = await serve_turn(self._agent(), message, True, self.settings.turn_timeout_seconds)
        # Waiting is never silence: the notice is the reply in the thread, queued with the
        # message's ``answer`` as the bot's replies are.
        return result.messages or await while_waiting(self._agent(), work.conversation_id, text)

    def _identity(self, work: inbox.Work) -> Dict[str, Any]:
        """The signed claim: the From address is only claimed (it can be forged), so guarded
        actions still send a one-time code to the address on file."""
        state = links.resolve(self.store, links.EMAIL, work.address, "sender_address")
        return issue_claim(identity_secret(self.settings), work.conversation_id, links.EMAIL, state,
                           external_id=work.address, method="sender_address", linkable=True)  # fmt: skip

    def _reply(self, work: inbox.Work, paragraphs: List[str]) -> Reply:
        return reply_to(self.store, self.settings, work.conversation_id, work.address, work.subject,
                        work.message_id, work.details.get("references") or [], paragraphs)  # fmt: skip

    async def _failed(self, work: inbox.Work, error: Exception) -> str:
        reason, retryable = failure_reason(error)
        record = failure_record(reason, error)
        delay = retry_delay(self.config.turn_retry_seconds, work.attempts)
        if retryable and await db(
            inbox.retry_later, self.store, work, record, delay, self.config.turn_attempts
        ):
            logger.warning(
                "E-mail: turn of %s failed for now (%s); again in %.0f s", work.message_id, reason, delay
            )
            return inbox.RECEIVED
        logger.error("E-mail: %s could not be answered (%s): %r", work.message_id, reason, error)
        apology = await db(self._reply, work, [TURN_FAILED])
        if await db(inbox.answer, self.store, work, apology, inbox.FAILED):
            self.kick_outbox()
        return inbox.FAILED

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _swept(self, row_id: int) -> None:
        """A turn due for another try (or left by a dead process); when it finishes, the
        listener is woken to flag its message."""
        if await self.run(row_id) in inbox.DONE:
            self.on_finished()

    def kick_outbox(self) -> None:
        self._outbox.set()

    async def deliver_forever(self) -> None:
        """Sends the outbox whenever a reply is queued, and every sweep (retries of e-mails
        that failed for now); also takes up turns due for another try."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._outbox.wait(), self.config.sweep_seconds)
            self._outbox.clear()
            try:
                await asyncio.to_thread(mailer.deliver_configured, self.store, self.settings)
                for row_id in await db(inbox.due, self.store):
                    self._spawn(self._swept(row_id))
            except Exception as error:  # the database may be away: the next round tries again
                logger.warning("E-mail: delivery round failed: %r", error)


def reply_to(store: Store, settings: Settings, conversation_id: str, to: str, subject: str,
             in_reply_to: Optional[str], references: List[str], paragraphs: List[str],
             author: str = "bot") -> Reply:  # fmt: skip
    """A reply in ``conversation_id``, with its earlier messages quoted (a database read)."""
    earlier = [Earlier(m.address if m.direction == "in" else "Northwind Support", m.text or "", m.created_at)
               for m in inbox.history(store, conversation_id, settings.email.quote_messages)]  # fmt: skip
    return compose(conversation_id, to, subject, in_reply_to, references, paragraphs, earlier,
                   own_address(settings).split("@")[-1] or "northwind.example", author)  # fmt: skip


def own_address(settings: Settings) -> str:
    from email.utils import parseaddr

    return (settings.email.address or parseaddr(settings.mail_from)[1] or "").lower()
