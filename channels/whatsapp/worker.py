"""Customer messages' turns, run in the background after the webhook has answered.

A message stored by the webhook (channels/whatsapp/inbox.py) is processed here: marked read,
turned into text (a voice note is downloaded and transcribed), run through Rasa as one turn
(``channels.turns.serve_turn``: the conversation's lock, a deadline, a message id already
stored answered from storage), then its replies are recorded and sent. A conversation's
messages are handled one at a time, in the order they arrived; at most
``WHATSAPP_MAX_CONCURRENT_TURNS`` turns run at once.

Failure contract: a turn that fails for now (database or Redis away, the deadline passed, no
model loaded, an action that could not reach the store, the Graph API unreachable for a voice
note) is tried again after a backoff, up to ``WHATSAPP_TURN_ATTEMPTS`` tries; after that, or at
once for a failure a retry cannot fix, the message is marked failed and the customer is asked to
send it again. Nothing of a failed turn is stored by Rasa. A sweep every
``WHATSAPP_SWEEP_SECONDS`` picks up messages due for another try and work a dead process left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Callable, Coroutine, Dict, List, Optional, Set, Tuple

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from assistant.identity.claims import CLAIM_KEY
from assistant.redaction import redact
from assistant.settings import Settings
from assistant.store import Store
from channels import background
from channels.background import ConversationLocks
from channels.turns import serve_turn
from channels.waiting_notice import while_waiting
from channels.whatsapp import inbox, outbox, texts
from channels.whatsapp.conversation import identity_claim
from channels.whatsapp.dbcall import db
from channels.whatsapp.graph import GraphClient
from channels.whatsapp.handling import handling_of
from channels.whatsapp.meta_errors import GraphFailure, Remedy
from channels.whatsapp.outgoing import Draft, drafts_for, text_drafts
from channels.whatsapp.output import CHANNEL, TurnOutput
from channels.whatsapp.rows import InboundWork
from channels.whatsapp.sender import Sender
from channels.whatsapp.voice import Transcriber, TranscriptionError

logger = logging.getLogger(__name__)
Answer = Tuple[List[Draft], Optional[str], Optional[str]]  # replies, text for NLU, transcription


class Worker:
    """Runs the turns of one Rasa process's WhatsApp messages."""

    def __init__(self, settings: Settings, store: Callable[[], Store], client: GraphClient,
                 sender: Callable[[], Sender], agent: Callable[[], Optional[Agent]]) -> None:  # fmt: skip
        self.settings, self.config = settings, settings.whatsapp
        self._store, self._sender, self._agent = store, sender, agent
        self.client = client
        self.transcriber = Transcriber(self.config.max_voice_seconds)
        self.turns = asyncio.Semaphore(self.config.max_concurrent_turns)
        self._tasks: Set[asyncio.Task] = set()
        self._conversations = ConversationLocks()

    @property
    def store(self) -> Store:
        return self._store()

    def start(self, works: List[InboundWork]) -> None:
        """Runs the turns of newly stored messages in the background, in their order."""
        for work in works:
            self.spawn(self._run(work))

    def reengage(self, conversation_ids: List[str]) -> None:
        """Conversations whose message failed outside the 24-hour window get the template."""
        for conversation_id in dict.fromkeys(conversation_ids):
            self.spawn(self._sender().reengage(conversation_id))

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("WhatsApp: background work failed; it is picked up again later",
                         exc_info=task.exception())  # fmt: skip

    async def idle(self) -> None:
        """Waits until no background work is left (tests, benchmarks, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def sweep(self) -> None:
        """Takes up messages due for another try, and messages a dead process left unsent."""
        for message_id in await db(inbox.due, self.store):
            work = await db(inbox.claim, self.store, message_id, None)
            if work is not None:
                self.spawn(self._run(work))
        for message_id in await db(outbox.due, self.store):
            reply = await db(outbox.claim, self.store, message_id)
            if reply is not None:
                self.spawn(self._sender().deliver([reply]))

    async def sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_seconds)
            try:
                await self.sweep()
            except Exception as error:  # the database may be away: the next sweep tries again
                logger.warning("WhatsApp: sweep failed: %r", error)

    async def _run(self, work: InboundWork) -> None:
        async with self._conversations.hold(work.conversation_id), self.turns:
            held = await db(inbox.claim, self.store, work.id, work.claim)
            if held is None:
                return  # done meanwhile, or another process took it over
            try:
                await self.process(held)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(inbox.release, self.store, held)
                raise

    async def process(self, work: InboundWork) -> None:
        """One message: answer it (or fail it visibly), then send what it got."""
        try:
            replies, text, transcription = await self._answer(work)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._failed(work, error)
            return
        queued = await db(inbox.answer, self.store, work, text, transcription, replies)
        if queued:
            await self._sender().deliver(queued)

    async def _answer(self, work: InboundWork) -> Answer:
        await self._mark_read(work.wamid)
        text, transcription = work.text, None
        if work.kind == "audio":
            transcription = redact(await self._transcribe(work.media or {}))
            if not transcription:
                return text_drafts(texts.VOICE_NOT_UNDERSTOOD), None, ""
            text = transcription
        if text is None:
            reply = handling_of(work.kind, work.body).reply
            quiet = reply is None or await self._handed_off(work.conversation_id)
            return ([] if quiet else text_drafts(reply or "")), None, None
        replies = await self._turn(work, text, transcription is not None)
        return [draft for reply in replies for draft in drafts_for(reply)], text, transcription

    async def _turn(self, work: InboundWork, text: str, transcribed: bool) -> List[Dict[str, Any]]:
        wa_id = work.conversation_id.split(":", 1)[1]
        claim = await identity_claim(self.store, self.settings, wa_id)
        details = {"type": work.kind, "media": work.media, "transcribed": transcribed}
        metadata = {CLAIM_KEY: claim, "northwind_request_id": work.wamid, "northwind_whatsapp": details}
        message = UserMessage(text, TurnOutput(), work.conversation_id, input_channel=CHANNEL,
                              message_id=work.wamid, metadata=metadata)  # fmt: skip
        result = await serve_turn(self._agent(), message, True, self.settings.turn_timeout_seconds)
        # Waiting is never silence: while an agent is awaited, the notice now and then.
        return result.messages or await while_waiting(self._agent(), work.conversation_id, text)

    async def _transcribe(self, media: Dict[str, Any]) -> str:
        media_id = media.get("id")
        if not isinstance(media_id, str) or not media_id:
            raise GraphFailure("The voice note has no media id", http_status=400)
        info = await self.client.media_info(media_id)
        audio = await self.client.download(info, self.config.max_voice_bytes)
        return await self.transcriber.transcribe(audio)

    async def _mark_read(self, wamid: str) -> None:
        try:
            await self.client.mark_read(wamid)
        except GraphFailure as failure:  # the blue ticks are a courtesy: never a reason to fail
            logger.info("WhatsApp: could not mark %s as read: %s", wamid, failure)

    async def _handed_off(self, conversation_id: str) -> bool:
        """Whether a human has the conversation (the bot stays quiet, even for acknowledgements)."""
        agent = self._agent()
        if agent is None or agent.tracker_store is None:
            return False
        tracker = await agent.tracker_store.retrieve(conversation_id)
        return tracker is not None and tracker.is_paused()

    async def _failed(self, work: InboundWork, error: Exception) -> None:
        reason, retryable = failure_reason(error)
        record = background.failure_record(reason, error)
        delay = background.retry_delay(self.config.turn_retry_seconds, work.attempts)
        if retryable and await db(
            inbox.retry_later, self.store, work, record, delay, self.config.turn_attempts
        ):
            logger.warning("WhatsApp: turn of %s failed for now (%s); trying again in %.0f s",
                           work.wamid, reason, delay)  # fmt: skip
            return
        logger.error("WhatsApp: message %s could not be answered (%s): %r", work.wamid, reason, error)
        apology = texts.VOICE_NOT_UNDERSTOOD if work.kind == "audio" else texts.TURN_FAILED
        queued = await db(inbox.fail, self.store, work, record, text_drafts(apology)[0])
        await self._sender().deliver(queued)


def failure_reason(error: BaseException) -> Tuple[str, bool]:
    """Why a turn failed, and whether trying again later can succeed: a voice note's media or
    transcription, else as for every background channel."""
    if isinstance(error, GraphFailure):
        return "media_unavailable", error.remedy is Remedy.RETRY
    if isinstance(error, TranscriptionError):
        return "audio_unreadable", False
    return background.failure_reason(error)
