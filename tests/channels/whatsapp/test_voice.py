"""Voice notes end to end: a sentence spoken by Debian's espeak-ng, encoded to OGG/Opus by ffmpeg,
served as WhatsApp media; the channel downloads, converts and transcribes it offline, and the
bot answers what was said. A voice note whose media cannot be fetched for now is retried from
the inbox (the failure contract); one that cannot be fetched at all gets an apology."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from channels.whatsapp import texts
from tests.channels.whatsapp.fake_graph import FakeGraph
from tests.channels.whatsapp.helpers import ORDER_QUESTION, inbound, replies, user_events
from tests.channels.whatsapp.payloads import load, new_wa_id, post
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration
OPUS = "audio/ogg; codecs=opus"


def voice_note(sentence: str, folder: Path) -> bytes:
    """``sentence`` spoken (espeak-ng) and encoded as WhatsApp records voice notes (OGG/Opus)."""
    wav, ogg = folder / "note.wav", folder / "note.ogg"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(wav), sentence], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libopus",
                    "-b:a", "24k", str(ogg)], check=True)  # fmt: skip
    assert ogg.read_bytes()[:4] == b"OggS"
    return ogg.read_bytes()


def media_id() -> str:
    return str(random.randint(10**15, 10**16 - 1))


def test_a_spoken_question_is_transcribed_and_answered(
    wa: Server, graph: FakeGraph, pg_database: str, tmp_path: Path
) -> None:
    wa_id, media = new_wa_id(), media_id()
    sha256 = graph.add_media(media, voice_note("where is my order", tmp_path), OPUS)
    assert post(wa.url, load("audio_voice", WA_ID=wa_id, MEDIA_ID=media, SHA256=sha256)).status_code == 200
    [reply] = replies(graph, wa_id, timeout=90)
    assert ORDER_QUESTION in reply, "the bot understood the spoken request"
    message = inbound(pg_database, f"whatsapp:{wa_id}", "answered")
    assert message["transcription"] == "where is my order" == message["text"]
    assert message["media"] == {"id": media, "mime_type": OPUS, "sha256": sha256, "voice": True}
    [event] = user_events(pg_database, f"whatsapp:{wa_id}")
    assert (
        event["text"] == "where is my order"
        and event["metadata"]["northwind_whatsapp"]["transcribed"] is True
    )


def test_media_that_is_away_for_now_is_retried_from_the_inbox_until_answered(
    wa: Server, graph: FakeGraph, pg_database: str, tmp_path: Path
) -> None:
    wa_id, media = new_wa_id(), media_id()
    sha256 = graph.add_media(
        media, voice_note("I want to cancel my order", tmp_path), OPUS, fail_with=[503, 500]
    )
    assert post(wa.url, load("audio_voice", WA_ID=wa_id, MEDIA_ID=media, SHA256=sha256)).status_code == 200
    replies(graph, wa_id, timeout=90)
    message = inbound(pg_database, f"whatsapp:{wa_id}", "answered")
    assert message["attempts"] == 2 and message["transcription"] == "i want to cancel my order"
    assert len(user_events(pg_database, f"whatsapp:{wa_id}")) == 1


def test_a_voice_note_that_cannot_be_fetched_gets_an_apology_and_is_marked_failed(
    wa: Server, graph: FakeGraph, pg_database: str
) -> None:
    wa_id = new_wa_id()
    assert post(wa.url, load("audio_voice", WA_ID=wa_id, MEDIA_ID=media_id())).status_code == 200
    assert replies(graph, wa_id) == [texts.VOICE_NOT_UNDERSTOOD]
    message = inbound(pg_database, f"whatsapp:{wa_id}", "failed")
    assert (
        message["error"]["code"] == "media_unavailable"
        and user_events(pg_database, f"whatsapp:{wa_id}") == []
    )
