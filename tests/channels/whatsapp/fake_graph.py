"""A loopback HTTP server standing in for Meta's Graph API, for the channel's real HTTP client.

It records every request, serves media (``GET /{version}/{media_id}`` for the URL, then the
bytes with the bearer token), answers ``POST /{version}/{phone_number_id}/messages`` with a new
``wamid``, and can be told to answer the next calls with any error Meta documents, to delay, or
to refuse the token. Runs in a thread of the test process; the Rasa server reaches it on
127.0.0.1.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

TOKEN = "test-access-token"
# Meta's error answers, as its documentation shows them: code -> (HTTP status, message, details).
ERRORS: Dict[int, Tuple[int, str, str]] = {
    130429: (400, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
    131056: (400, "(#131056) (Business Account, Consumer Account) pair rate limit hit",
             "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."),
    131047: (400, "(#131047) Re-engagement message",
             "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
    190: (401, "Error validating access token: Session has expired on Tuesday, 01-Sep-26 04:00:00 PDT.", ""),
    131026: (400, "(#131026) Message undeliverable", "Message failed to send because of an unknown error with your request parameters."),
    131000: (500, "(#131000) Something went wrong", "Something went wrong"),
    100: (400, "(#100) Invalid parameter", "Parameter value is not valid"),
}  # fmt: skip


@dataclass
class Recorded:
    method: str
    path: str
    authorization: str
    body: Any
    at: float


@dataclass
class Scripted:
    """An answer to give instead of success: Meta's error ``code`` (or a bare ``http_status``)."""

    to: Optional[str]
    code: Optional[int] = None
    http_status: Optional[int] = None
    delay: float = 0.0
    succeed: bool = False  # only delay, then answer normally


@dataclass
class FakeGraph:
    port: int = 0
    requests: List[Recorded] = field(default_factory=list)
    media: Dict[str, Tuple[bytes, str]] = field(default_factory=dict)
    media_failures: Dict[str, List[int]] = field(default_factory=dict)
    script: List[Scripted] = field(default_factory=list)
    token: str = TOKEN
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeGraph:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # what tests tell it

    def add_media(
        self, media_id: str, data: bytes, mime_type: str, fail_with: Optional[List[int]] = None
    ) -> str:
        """Serves ``data`` as ``media_id``; ``fail_with``: HTTP statuses of the first lookups."""
        self.media[media_id] = (data, mime_type)
        self.media_failures[media_id] = list(fail_with or [])
        return hashlib.sha256(data).hexdigest()

    def fail_next(
        self, to: Optional[str], code: Optional[int] = None, times: int = 1, http_status: Optional[int] = None
    ) -> None:
        with self._lock:
            self.script += [Scripted(to, code, http_status) for _ in range(times)]

    def delay_next(self, to: Optional[str], seconds: float, times: int = 1) -> None:
        with self._lock:
            self.script += [Scripted(to, delay=seconds, succeed=True) for _ in range(times)]

    # what tests read

    def sent(self, to: Optional[str] = None) -> List[Dict[str, Any]]:
        """Messages the Graph API accepted or refused (not read receipts), oldest first."""
        with self._lock:
            bodies = [r.body for r in self.requests if r.method == "POST" and isinstance(r.body, dict)]
        return [b for b in bodies if "to" in b and (to is None or b.get("to") == to)]

    def read_receipts(self) -> List[str]:
        with self._lock:
            return [r.body["message_id"] for r in self.requests
                    if r.method == "POST" and isinstance(r.body, dict) and r.body.get("status") == "read"]  # fmt: skip

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s; the Graph API got {self.requests[-5:]}")

    def wait_sent(self, to: str, count: int = 1, timeout: float = 60.0) -> List[Dict[str, Any]]:
        return self.wait_for(lambda: self.sent(to) if len(self.sent(to)) >= count else None, timeout)

    # serving

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        recorded = Recorded(
            method, request.path, request.headers.get("Authorization", ""), body, time.monotonic()
        )
        with self._lock:
            self.requests.append(recorded)
        if recorded.authorization != f"Bearer {self.token}":
            return self._error(request, 190)
        path = request.path.split("?", 1)[0].strip("/").split("/")
        if path[0] == "media" and len(path) == 2:
            return self._media_bytes(request, path[1])
        if method == "GET" and len(path) == 2:
            return self._media_info(request, path[1])
        if method == "POST" and len(path) == 3 and path[2] == "messages" and isinstance(body, dict):
            return self._message(request, body)
        return self._error(request, 100)

    def _message(self, request: BaseHTTPRequestHandler, body: Dict[str, Any]) -> None:
        if body.get("status") == "read":
            return self._json(request, 200, {"success": True})
        scripted = self._take(body.get("to"))
        if scripted is not None:
            time.sleep(scripted.delay)
            if not scripted.succeed:
                return self._error(request, scripted.code, scripted.http_status)
        wamid = f"wamid.fake{next(self._ids):08d}"
        self._json(request, 200, {"messaging_product": "whatsapp",
                                  "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                                  "messages": [{"id": wamid}]})  # fmt: skip

    def _take(self, to: Any) -> Optional[Scripted]:
        with self._lock:
            for index, scripted in enumerate(self.script):
                if scripted.to is None or scripted.to == to:
                    return self.script.pop(index)
        return None

    def _media_info(self, request: BaseHTTPRequestHandler, media_id: str) -> None:
        if media_id not in self.media:
            return self._error(request, 100, 404)
        failures = self.media_failures.get(media_id) or []
        if failures:
            return self._error(request, None, failures.pop(0))
        data, mime_type = self.media[media_id]
        self._json(request, 200, {"messaging_product": "whatsapp", "url": f"{self.url}/media/{media_id}",
                                  "mime_type": mime_type, "sha256": hashlib.sha256(data).hexdigest(),
                                  "file_size": str(len(data)), "id": media_id})  # fmt: skip

    def _media_bytes(self, request: BaseHTTPRequestHandler, media_id: str) -> None:
        data, mime_type = self.media.get(media_id, (b"", ""))
        if not data:
            return self._error(request, 100, 404)
        request.send_response(200)
        request.send_header("Content-Type", mime_type)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _error(
        self, request: BaseHTTPRequestHandler, code: Optional[int], http_status: Optional[int] = None
    ) -> None:
        status, message, details = ERRORS.get(code or 0, (http_status or 500, f"HTTP {http_status}", ""))
        error: Dict[str, Any] = {"message": message, "type": "OAuthException", "fbtrace_id": "AbCdEfGhIjK"}
        if code is not None:
            error["code"] = code
            error["error_data"] = {"messaging_product": "whatsapp", "details": details}
        self._json(request, http_status or status, {"error": error})

    def _json(self, request: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
