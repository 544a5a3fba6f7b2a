"""Voice notes as text, offline: ffmpeg (Debian's) decodes the OGG/Opus note to 16 kHz mono PCM,
and pocketsphinx recognises it with the US English model its PyPI package ships. Nothing is
downloaded at run time and no audio leaves the server."""

from __future__ import annotations

import asyncio
import shutil
import threading
from typing import Any, Optional

SAMPLE_RATE = 16_000
FFMPEG_TIMEOUT_SECONDS = 30.0


class TranscriptionError(Exception):
    """The audio could not be decoded (or ffmpeg is missing)."""


class Transcriber:
    """Speech to text for one process: one recogniser, loaded on first use and used by one
    voice note at a time (decoding runs in a thread, off the event loop)."""

    def __init__(self, max_seconds: int) -> None:
        self.max_seconds = max_seconds
        self._decoder: Optional[Any] = None
        self._lock = threading.Lock()

    async def transcribe(self, audio: bytes) -> str:
        """The words spoken in ``audio`` (any format ffmpeg reads), lower case; "" for silence."""
        pcm = await to_pcm(audio, self.max_seconds)
        return await asyncio.to_thread(self._recognise, pcm)

    def _recognise(self, pcm: bytes) -> str:
        with self._lock:
            decoder = self._loaded()
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
        return hypothesis.hypstr.strip() if hypothesis is not None else ""

    def _loaded(self) -> Any:
        if self._decoder is None:
            from pocketsphinx import Config, Decoder  # ~0.3 s and 100 MB: only once voice is used

            self._decoder = Decoder(Config(samprate=SAMPLE_RATE, loglevel="FATAL"))
        return self._decoder


async def to_pcm(audio: bytes, max_seconds: int) -> bytes:
    """``audio`` as signed 16-bit little-endian mono PCM at 16 kHz, cut at ``max_seconds``."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise TranscriptionError("ffmpeg is not installed (apt-get install ffmpeg)")
    process = await asyncio.create_subprocess_exec(
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-t", str(max_seconds),
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        pcm, errors = await asyncio.wait_for(process.communicate(audio), FFMPEG_TIMEOUT_SECONDS)
    except asyncio.TimeoutError as error:
        process.kill()
        await process.wait()
        raise TranscriptionError("ffmpeg took too long to decode the audio") from error
    if process.returncode != 0:
        raise TranscriptionError(
            f"ffmpeg could not decode the audio: {errors.decode(errors='replace')[-300:]}"
        )
    return pcm
