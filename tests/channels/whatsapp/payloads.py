"""Meta's webhook payloads as its documentation shows them (``payloads/*.json``), with the ids,
numbers and texts of a test filled in, and signed as Meta signs them."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Optional

import requests

from channels.whatsapp.signature import sign

FOLDER = Path(__file__).resolve().parent / "payloads"
PHONE_NUMBER_ID = "106540352242922"
APP_SECRET = "test-app-secret-0123456789abcdef"
VERIFY_TOKEN = "test-verify-token"
MESSAGE_TYPES = ("text", "interactive_button_reply", "interactive_list_reply", "button", "image",
                 "image_without_caption", "audio_voice", "video", "document", "sticker", "location",
                 "contacts", "reaction", "unsupported", "unknown_legacy")  # fmt: skip
STATUS_TYPES = ("status_sent", "status_delivered", "status_read", "status_failed")


def new_wa_id() -> str:
    """A number no demo customer has (+1 555 01xx are theirs). From ``secrets``, not ``random``,
    which hypothesis seeds alike for every example: each example gets a conversation of its own."""
    return f"1555{2_000_000 + secrets.randbelow(8_000_000)}"


def new_wamid() -> str:
    return f"wamid.HBgL{uuid.uuid4().hex.upper()}AA="


def load(name: str, **values: Any) -> Dict[str, Any]:
    """Payload ``name`` with ``{{KEY}}`` placeholders replaced (ids and timestamp default)."""
    defaults = {"PHONE_NUMBER_ID": PHONE_NUMBER_ID, "WAMID": new_wamid(), "TIMESTAMP": str(int(time.time())), "WA_ID": new_wa_id(),
                "CONTEXT_WAMID": new_wamid(), "MEDIA_ID": str(10**15 + secrets.randbelow(9 * 10**15)),
                "TEXT": "hello", "PAYLOAD": "/greet", "TITLE": "Hi", "SHA256": ""}  # fmt: skip
    text = (FOLDER / f"{name}.json").read_text(encoding="utf-8")
    for key, value in {**defaults, **values}.items():
        text = text.replace("{{" + key + "}}", json.dumps(str(value))[1:-1])
    return json.loads(text)


def post(url: str, body: Any = None, raw: Optional[bytes] = None, secret: Optional[str] = APP_SECRET,
         signature: Optional[str] = None, timeout: float = 30) -> requests.Response:  # fmt: skip
    """POSTs to the webhook, signed with ``secret`` (None: unsigned) unless ``signature`` is given."""
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    elif secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret, data)
    return requests.post(f"{url}/webhooks/whatsapp/webhook", data=data, headers=headers, timeout=timeout)
