"""The admin API's way to the Rasa server (ARCHITECTURE.md: siblings meet over HTTP): post a
message through a channel's endpoint (an agent's, or a signed-in customer's), and append events
to a conversation's tracker (``resume``, ``pause``, an agent's message) with Rasa's HTTP API.

Failures become API errors: unreachable or failing (5xx) is 503 with ``Retry-After``; the
channel's refusals keep their status and code (403, 404, 409, 422, 429)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import aiohttp

from admin_api.errors import ApiError, Unavailable
from assistant.settings import Settings

PASSED_ON = (403, 404, 409, 422, 429)


class RasaClient:
    """One pooled HTTP session to the Rasa server, opened with the app and closed with it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session: Optional[aiohttp.ClientSession] = None

    async def open(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.rasa_timeout_seconds)
        self.session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def channel_message(
        self, channel: str, conversation_id: str, content: str, token: str
    ) -> Dict[str, Any]:
        """Posts a message into the conversation through its channel's endpoint."""
        url = f"{self.settings.rasa_url}/webhooks/{channel}/conversations/{conversation_id}/messages"
        body = await self._post(url, {"content": content}, headers={"Authorization": f"Bearer {token}"})
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        """Appends events to the tracker (Rasa's HTTP API, with its token when one is set)."""
        params = {"include_events": "NONE"}
        if self.settings.rasa_auth_token:
            params["token"] = self.settings.rasa_auth_token
        url = f"{self.settings.rasa_url}/conversations/{conversation_id}/tracker/events"
        await self._post(url, events, params=params)

    async def _post(self, url: str, body: Any, **kwargs: Any) -> Any:
        if self.session is None:
            raise Unavailable("The assistant cannot be reached now", details={"reason": "not started"})
        try:
            async with self.session.post(url, json=body, **kwargs) as answer:
                payload = await _json(answer)
                status = answer.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise Unavailable(
                "The assistant cannot be reached now", details={"reason": type(exc).__name__}
            ) from exc
        if status < 300:
            return payload
        raise _refusal(status, payload)


async def _json(answer: aiohttp.ClientResponse) -> Any:
    try:
        return await answer.json(content_type=None)
    except ValueError:
        return None


def _refusal(status: int, payload: Any) -> ApiError:
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    if status == 413:
        status = 422
    if status not in PASSED_ON:
        reason = "the Rasa server refused the admin API's credentials" if status in (401, 400) else "failed"
        return Unavailable("The assistant cannot take this now", details={"reason": reason, "status": status})
    details: Dict[str, Any] = error["details"] if isinstance(error.get("details"), dict) else {}
    headers = (
        {"Retry-After": str(details["retry_after"])} if status == 429 and "retry_after" in details else None
    )
    return ApiError(str(error.get("message") or "Refused by the assistant"), details,
                    code=str(error.get("code") or "REFUSED"), status=status, headers=headers)  # fmt: skip
