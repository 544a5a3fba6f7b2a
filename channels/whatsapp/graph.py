"""The Graph API client of the WhatsApp channel (aiohttp): send a message, mark one as read,
find and download a customer's media. Every failure is a ``GraphFailure`` naming Meta's error
and its remedy (channels/whatsapp/meta_errors.py); retrying is the caller's decision."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Optional, cast

import aiohttp

from assistant.settings import WhatsAppSettings
from channels.whatsapp.meta_errors import GraphFailure
from channels.whatsapp.wire import GraphMessage, MediaInfo

logger = logging.getLogger(__name__)


class GraphClient:
    """Calls ``{graph_base_url}/{api_version}/...`` with the access token."""

    def __init__(self, settings: WhatsAppSettings) -> None:
        self.settings = settings
        self._session: Optional[aiohttp.ClientSession] = None

    @property
    def base(self) -> str:
        return f"{self.settings.graph_base_url}/{self.settings.api_version}"

    def _http(self) -> aiohttp.ClientSession:
        """One connection pool per client, opened on first use inside the running loop."""
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.settings.http_timeout_seconds)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.settings.access_token or ''}"}

    async def send(self, message: GraphMessage) -> str:
        """Sends ``message``; Meta's id of it (``wamid``)."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        answer = await self._call("POST", f"{self.base}/{self.settings.phone_number_id}/messages", body)
        messages = answer.get("messages") if isinstance(answer, dict) else None
        wamid = messages[0].get("id") if isinstance(messages, list) and messages and isinstance(
            messages[0], dict) else None  # fmt: skip
        if not isinstance(wamid, str) or not wamid:
            raise GraphFailure("The Graph API answered without a message id", http_status=200)
        return wamid

    async def mark_read(self, wamid: str) -> None:
        """Shows the customer their message was read (the blue ticks)."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        await self._call("POST", f"{self.base}/{self.settings.phone_number_id}/messages", body)

    async def media_info(self, media_id: str) -> MediaInfo:
        """Where to download the media ``media_id`` (its URL lives for a few minutes)."""
        params = {"phone_number_id": self.settings.phone_number_id or ""}
        answer = await self._call("GET", f"{self.base}/{media_id}", params=params)
        if not isinstance(answer, dict) or not isinstance(answer.get("url"), str):
            raise GraphFailure("The Graph API answered without a media URL", http_status=200)
        return cast(MediaInfo, answer)

    async def download(self, info: MediaInfo, max_bytes: int) -> bytes:
        """The media's bytes, checked against its size limit and its SHA-256."""
        try:
            async with self._http().get(info["url"], headers=self._headers()) as response:
                if response.status >= 400:
                    raise GraphFailure.from_answer(response.status, await _json(response))
                data = await response.content.read(max_bytes + 1)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise GraphFailure(f"Media download failed: {error!r}") from error
        if len(data) > max_bytes:
            raise GraphFailure(f"The media is larger than {max_bytes} bytes", http_status=413)
        expected = info.get("sha256")
        if isinstance(expected, str) and expected and hashlib.sha256(data).hexdigest() != expected.lower():
            raise GraphFailure("The media does not match its SHA-256", http_status=422)
        return data

    async def _call(self, method: str, url: str, body: Any = None, params: Any = None) -> Any:
        try:
            async with self._http().request(
                method, url, json=body, params=params, headers=self._headers()
            ) as response:
                answer = await _json(response)
                if response.status >= 400:
                    raise GraphFailure.from_answer(response.status, answer)
                return answer
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise GraphFailure(f"The Graph API could not be reached: {error!r}") from error


async def _json(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return None
