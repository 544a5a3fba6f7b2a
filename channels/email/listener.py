"""The IMAP listener of the support mailbox: looks for unseen messages, hands each to the
worker, and flags it ``\\Seen`` only once its turn is stored (answered, ignored, recorded as a
bounce, or failed visibly). A message whose turn failed for now stays unseen and is looked at
again; one fetched again after a crash is recognised by its ``Message-ID``.

It waits with IDLE when the server offers it (and ``EMAIL_IDLE`` is on), renewing it every
``EMAIL_POLL_SECONDS``; otherwise it polls at that interval. TLS from the start (``tls``),
STARTTLS, or (loopback only) none; a lost connection is reopened with backoff. The blocking
IMAP calls run on a worker thread (IMAPClient), one at a time.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from typing import Any, Callable, Dict, List, Optional, TypeVar

from imapclient import IMAPClient
from imapclient.imapclient import SEEN

from assistant.redaction import redact
from assistant.settings import ConfigError, EmailSettings
from channels.email import inbox
from channels.email.parse import ParsedEmail, parse
from channels.email.worker import Worker

logger = logging.getLogger(__name__)
T = TypeVar("T")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
IDLE_SLICE_SECONDS = 0.5  # how often a waiting IDLE looks whether the listener is stopping


def connect(config: EmailSettings) -> IMAPClient:
    """A logged-in client with the mailbox selected."""
    if config.imap_tls == "none" and config.imap_host not in LOOPBACK:
        raise ConfigError("EMAIL_IMAP_TLS=none is only allowed for a server on loopback")
    context = ssl.create_default_context(cafile=config.imap_ca_file)
    use_ssl = config.imap_tls == "tls"
    client = IMAPClient(config.imap_host, port=config.imap_port, ssl=use_ssl,
                        ssl_context=context if use_ssl else None, timeout=30)  # fmt: skip
    if config.imap_tls == "starttls":
        client.starttls(context)
    client.login(config.imap_user, config.imap_password)
    client.select_folder(config.mailbox)
    return client


def prepare(raw: bytes) -> ParsedEmail:
    """Parsed, with personal data (card numbers) masked at the channel's entry."""
    mail = parse(raw)
    mail.text, mail.subject = redact(mail.text), redact(mail.subject)
    return mail


class Listener:
    """One IMAP session at a time, in a background task of the Rasa server."""

    def __init__(self, config: EmailSettings, worker: Worker) -> None:
        self.config, self.worker = config, worker
        self._task: Optional[asyncio.Task] = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # set when a message finished outside a look (a retry)
        worker.on_finished = self._wake.set
        self._pending: Optional[asyncio.Future[Any]] = None
        self.checks = 0  # how many looks at the mailbox (tests, health)
        self.handled = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Starts listening; False when it already was."""
        if self.running:
            return False
        self._stop = threading.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return True

    async def stop(self) -> bool:
        """Stops listening: turns in flight are cancelled (their messages stay unseen and
        unfinished, so the next start takes them up); False when it was not running."""
        if not self.running or self._task is None:
            return False
        self._stop.set()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        return True

    async def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                await self._session()
                backoff = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("E-mail: IMAP session ended (%r); reconnecting in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _session(self) -> None:
        client = await self._call(connect, self.config)
        try:
            idle = self.config.idle and b"IDLE" in await self._call(client.capabilities)
            while not self._stop.is_set():
                unfinished = await self.check(client)
                # Messages left unfinished are looked at again soon: another process's retry
                # sweep may finish them, and only this listener can flag them.
                wait = (
                    min(self.config.poll_seconds, self.config.sweep_seconds)
                    if unfinished
                    else self.config.poll_seconds
                )
                if idle:
                    await self._call(wait_idle, client, wait, self._stop, self._wake)
                else:
                    await self._sleep(wait)
                self._wake.clear()
        finally:
            if self._pending is not None:  # never two calls at once
                await asyncio.gather(self._pending, return_exceptions=True)
            await asyncio.to_thread(_logout, client)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """``function`` on a worker thread; when the listener is cancelled meanwhile, the call
        still finishes (and is waited for) before the connection is closed."""
        self._pending = asyncio.ensure_future(asyncio.to_thread(function, *args))
        return await asyncio.shield(self._pending)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._wake.is_set():
            await asyncio.sleep(min(IDLE_SLICE_SECONDS, seconds))

    async def check(self, client: IMAPClient) -> int:
        """Handles every unseen message, a batch at a time, flagging the finished ones;
        returns how many are left unfinished (their turns failed for now or run elsewhere)."""
        self.checks += 1
        uids = await self._call(client.search, ["UNSEEN"])
        unfinished = 0
        for start in range(0, len(uids), self.config.batch_size):
            batch = list(uids[start : start + self.config.batch_size])
            fetched = await self._call(client.fetch, batch, ["BODY.PEEK[]"])
            done = await self._handle(fetched)
            if done:
                await self._call(client.add_flags, done, [SEEN])
            unfinished += len(batch) - len(done)
        return unfinished

    async def _handle(self, fetched: Dict[int, Dict[bytes, bytes]]) -> List[int]:
        """Stores the batch's messages in mailbox order, then runs their turns (a
        conversation's in that order); returns the uids whose messages are finished."""
        stored = []
        for uid in sorted(fetched):
            try:
                stored.append((uid, await self.worker.store_mail(prepare(fetched[uid].get(b"BODY[]", b"")))))
            except Exception:
                logger.exception("E-mail: message %s could not be stored; it stays unseen", uid)

        async def one(uid: int, row: inbox.Stored) -> Optional[int]:
            try:
                status = await self.worker.finish(row)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("E-mail: message %s could not be handled; it stays unseen", uid)
                return None
            self.handled += 1
            return uid if status in inbox.DONE else None

        results = await asyncio.gather(*(one(uid, row) for uid, row in stored))
        return [uid for uid in results if uid is not None]


def wait_idle(client: IMAPClient, timeout: float, stop: threading.Event, wake: threading.Event) -> bool:
    """IDLE until the server reports a new message, ``timeout`` passes, or ``stop`` or
    ``wake`` is set."""
    client.idle()
    try:
        deadline = time.monotonic() + timeout
        while not stop.is_set() and not wake.is_set() and time.monotonic() < deadline:
            for response in client.idle_check(timeout=IDLE_SLICE_SECONDS):
                if len(response) > 1 and response[1] in (b"EXISTS", b"RECENT"):
                    return True
        return False
    finally:
        client.idle_done()


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection may be gone already
        client.shutdown() if hasattr(client, "shutdown") else None
