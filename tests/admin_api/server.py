"""The admin API served for real on loopback, from a background thread with its own event loop,
so tests talk to it over HTTP with ``requests`` while it runs exactly as in production."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Dict, Optional

import requests
from sanic import Sanic

from admin_api.app import create_app
from assistant.settings import Settings
from tests.integration.conftest import free_port


class ApiServer:
    """``create_app(settings)`` listening on 127.0.0.1:<free port> until ``stop()``."""

    def __init__(self, settings: Settings) -> None:
        # Several apps start in this one process: Sanic's start-up rewrite of its own methods
        # (TouchUp) must then start from the originals each time, which test mode does.
        Sanic.test_mode = True
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: Sanic = create_app(settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.server: Any = None
        self.failed: Optional[BaseException] = None

    def start(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.failed is not None:
                raise RuntimeError("the admin API did not start") from self.failed
            try:
                if requests.get(f"{self.url}/api/health/live", timeout=2).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the admin API did not start within 60 s")

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.server = self.loop.run_until_complete(
                self.app.create_server(
                    host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
                )  # fmt: skip
            )
            self.loop.run_until_complete(self.server.startup())
            self.loop.run_until_complete(self.server.before_start())
            self.loop.run_until_complete(self.server.after_start())
            self.loop.run_forever()
        except BaseException as error:  # reported to start()
            self.failed = error

    def stop(self) -> None:
        async def shutdown() -> None:
            await self.server.before_stop()
            self.server.close()
            await self.server.wait_closed()
            await self.server.after_stop()

        if self.server is not None:
            asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)


class Client:
    """``requests`` against the server with one identity (bearer token or API key)."""

    def __init__(self, base: str, token: Optional[str] = None, api_key: Optional[str] = None) -> None:
        self.base, self.headers = base, {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if api_key:
            self.headers["X-API-Key"] = api_key

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.base}{path}", json=body, headers=headers, timeout=60, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)


def data(response: requests.Response, status: int = 200) -> Any:
    """The envelope's ``data`` of a successful answer with ``status``."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:1500]}"
    body: Dict[str, Any] = response.json()
    assert body["success"] is True and body["meta"]["request_id"], body
    return body["data"]
