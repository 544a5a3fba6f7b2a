"""A loopback stand-in for an OpenAI-compatible server: ``POST /v1/chat/completions`` and
``POST /v1/embeddings`` in the real wire format, on 127.0.0.1.

Tests script it: ``standin.script("429", "500", "slow:2", "malformed")`` makes the next requests
fail that way (then it answers normally again); ``standin.replier`` decides a normal reply's
text from the request. Every request body is kept in ``standin.requests``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional

Replier = Callable[[Dict[str, Any]], str]


def grounded_replier(request: Dict[str, Any]) -> str:
    """Like a dutiful model: classifies with the first intent named in the message's words,
    answers with the first sentence of the first passage and cites its article."""
    system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
    if "classify" in system.lower():
        return classify_by_words(user)
    passage = re.search(r"<passages>\n\[([a-z0-9-]+)\] [^:]*: (.*?)(?<=[.!?])\s", user, re.S)
    if passage is None:
        return "NO_ANSWER"
    return f"{passage.group(2)} [{passage.group(1)}]"


def classify_by_words(user: str) -> str:
    """The listed intent whose name's words occur in the message, else ``none``."""
    message = user.split("Message: <<<", 1)[-1].lower()
    for name in re.findall(r"^- ([a-z_]+):", user, re.M):
        if all(word[:4] in message for word in name.split("_")):
            return name
    return "none"


class LLMStandIn:
    """The server; ``url`` is its ``/v1`` base URL."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.replier: Replier = grounded_replier
        self._script: List[str] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]  # clients that gave up
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> LLMStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *behaviours: str) -> None:
        """What the next requests get: ``429``, ``500``, ``503``, ``slow:<seconds>``,
        ``malformed`` (broken JSON), ``empty`` (a completion without content)."""
        with self._lock:
            self._script = list(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._script, self.requests[:] = [], []
        self.replier = grounded_replier

    def chat_requests(self) -> List[Dict[str, Any]]:
        return [r for r in self.requests if "messages" in r]

    def _next(self) -> Optional[str]:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def _handler(self) -> type:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                standin.requests.append(body)
                behaviour = standin._next()
                if behaviour and behaviour.startswith("slow:"):
                    time.sleep(float(behaviour.split(":", 1)[1]))
                    behaviour = None
                if behaviour in ("429", "500", "503"):
                    error = {
                        "error": {"message": "stand-in failure", "type": "server_error", "code": behaviour}
                    }
                    return self._send(int(behaviour), json.dumps(error).encode())
                if behaviour == "malformed":
                    return self._send(200, b'{"id": "chatcmpl-1", "choices": [{"message": ')
                if self.path.endswith("/embeddings"):
                    return self._send(200, json.dumps(_embeddings(body)).encode())
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, b'{"error": {"message": "not found"}}')
                text = None if behaviour == "empty" else standin.replier(body)
                return self._send(200, json.dumps(_completion(body, text)).encode())

            def _send(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def _completion(request: Dict[str, Any], text: Optional[str]) -> Dict[str, Any]:
    prompt_tokens = sum(len(m.get("content", "").split()) for m in request.get("messages", []))
    completion_tokens = len((text or "").split())
    return {
        "id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()),
        "model": request.get("model", "standin"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }  # fmt: skip


def _embeddings(request: Dict[str, Any]) -> Dict[str, Any]:
    inputs = request.get("input") or []
    inputs = [inputs] if isinstance(inputs, str) else inputs
    data = [{"object": "embedding", "index": i,
             "embedding": [b / 255 for b in hashlib.sha256(str(text).encode()).digest()[:8]]}
            for i, text in enumerate(inputs)]  # fmt: skip
    tokens = sum(len(str(t).split()) for t in inputs)
    return {"object": "list", "data": data, "model": request.get("model", "standin"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}  # fmt: skip
