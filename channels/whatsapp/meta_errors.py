"""Meta's error codes of the Cloud API, and what to do about each.

- throughput (130429), Graph's own rate limits (4, 80007), temporary server errors (1, 2,
  131000, 131016, 133004), any 5xx and a network failure: retry with backoff;
- too many messages to one number (131056): pace that number, then retry;
- more than 24 hours since the customer last wrote (131047): free text cannot go out; the
  configured re-engagement template goes instead;
- an invalid or expired token or missing permission (0, 3, 10, 190, 200-299): nothing can go
  out until someone fixes the configuration, so it is logged loudly;
- anything else (undeliverable 131026, bad parameters 100/131008/131009, template errors ...):
  the message fails, with Meta's error recorded.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, Optional

RETRY_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 133004})
AUTH_CODES = frozenset({0, 3, 10, 190, *range(200, 300)})
PAIR_RATE_LIMIT = 131056
OUTSIDE_WINDOW = 131047


class Remedy(str, Enum):
    RETRY = "retry"
    PACE = "pace"
    REENGAGE = "reengage"
    AUTH = "auth"
    FAIL = "fail"


def remedy_for(code: Optional[int], http_status: Optional[int]) -> Remedy:
    """What to do after an error with Meta's ``code`` and the HTTP status (None: no answer)."""
    if code == PAIR_RATE_LIMIT:
        return Remedy.PACE
    if code == OUTSIDE_WINDOW:
        return Remedy.REENGAGE
    if code in AUTH_CODES or http_status in (401, 403) and code is None:
        return Remedy.AUTH
    if code in RETRY_CODES or http_status is None or http_status >= 500 or http_status == 429:
        return Remedy.RETRY
    return Remedy.FAIL


class GraphFailure(Exception):
    """A Graph API call that failed: Meta's error (or the network's) and what to do."""

    def __init__(self, title: str, *, code: Optional[int] = None, http_status: Optional[int] = None,
                 details: str = "", fbtrace_id: Optional[str] = None) -> None:  # fmt: skip
        super().__init__(f"{code or http_status or 'network'}: {title}")
        self.title, self.code, self.http_status = title, code, http_status
        self.details, self.fbtrace_id = details, fbtrace_id
        self.remedy = remedy_for(code, http_status)

    def record(self) -> Dict[str, Any]:
        """The error as stored with the message."""
        return {"code": self.code, "title": self.title[:255], "details": self.details[:500],
                "http_status": self.http_status, "fbtrace_id": self.fbtrace_id}  # fmt: skip

    @classmethod
    def from_answer(cls, http_status: int, body: Any) -> GraphFailure:
        """The failure a Graph API answer describes (``{"error": {...}}``)."""
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return cls(f"HTTP {http_status}", http_status=http_status)
        data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
        code = error.get("code")
        return cls(
            str(error.get("message") or f"HTTP {http_status}"),
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            http_status=http_status,
            details=str((data or {}).get("details") or ""),
            fbtrace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
        )
