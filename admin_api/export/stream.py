"""Bytes made by blocking code (a database cursor, a writer) sent as a streaming HTTP response:
a thread of the export's own produces chunks into a small bounded queue the event loop drains
(so at most ``QUEUE_CHUNKS`` chunks wait in memory, whatever the export's size). The first
chunk is awaited before the response starts, so a failure to begin is still an error envelope;
a failure after that cuts the response short."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Callable, Dict, Iterator, Optional

from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)
QUEUE_CHUNKS = 8
# How long the response may go without a write: Sanic's RESPONSE_TIMEOUT (60 s) counts from the
# last write, and an XLSX workbook of millions of rows is built for minutes before its first byte.
IDLE_SECONDS = 3600.0
_DONE = object()


class _Pump:
    """Runs ``produce`` in a daemon thread, handing its chunks to the event loop."""

    def __init__(self, produce: Callable[[], Iterator[bytes]], loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue = asyncio.Queue(QUEUE_CHUNKS)
        self.stop = threading.Event()
        self._produce, self._loop = produce, loop
        threading.Thread(target=self._run, name="export-stream", daemon=True).start()

    def _run(self) -> None:
        try:
            for chunk in self._produce():
                if chunk and not self._put(chunk):
                    return
        except BaseException as error:  # handed to the event loop, which answers or aborts
            self._put(error)
            return
        self._put(_DONE)

    def _put(self, item: Any) -> bool:
        future = asyncio.run_coroutine_threadsafe(self.queue.put(item), self._loop)
        while True:
            try:
                future.result(timeout=0.5)
                return True
            except concurrent.futures.TimeoutError:
                if self.stop.is_set():
                    future.cancel()
                    return False

    async def next(self) -> Any:
        item = await self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item


async def stream_response(
    request: Request,
    produce: Callable[[], Iterator[bytes]],
    content_type: str,
    headers: Optional[Dict[str, str]] = None,
) -> Optional[HTTPResponse]:
    """Streams ``produce()``'s chunks as the answer to ``request``."""
    _allow_slow_writes(request)
    pump = _Pump(produce, asyncio.get_running_loop())
    try:
        item = await pump.next()
        response = await request.respond(headers=headers or {}, content_type=content_type)
        while item is not _DONE:
            await response.send(item)
            item = await pump.next()
        await response.eof()
    except BaseException:
        pump.stop.set()
        raise
    return None


def _allow_slow_writes(request: Request) -> None:
    """Lengthens this connection's response timeout (Sanic keeps it on the connection)."""
    protocol = getattr(getattr(request, "stream", None), "protocol", None)
    if protocol is not None and hasattr(protocol, "response_timeout"):
        protocol.response_timeout = max(protocol.response_timeout, IDLE_SECONDS)
