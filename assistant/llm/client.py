"""The one LLM client: the ``openai`` package (1.x) against any OpenAI-compatible endpoint.

Every call: personal data masked from the prompt (assistant/redaction.py), retried with
exponential backoff and jitter on 429, 5xx, timeouts and lost connections (tenacity), skipped
while the circuit breaker is open, cut off by the turn's deadline, logged and recorded (model,
tokens, latency, outcome). A call that does not give a usable answer returns ``None``: the caller
then gives its deterministic reply. Nothing here raises to the caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import openai
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from assistant.llm.breaker import CircuitBreaker
from assistant.redaction import redact_personal
from assistant.settings import LLMSettings

logger = logging.getLogger(__name__)
Message = Dict[str, str]
RETRYABLE = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)


class Deadline:
    """The moment by which every LLM call of one turn must be done."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - self.clock())


@dataclass
class CallRecord:
    """What one call did: logged, and stored in ``llm_calls`` by the recorder."""

    purpose: str
    model: str
    outcome: str = "ok"
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    estimated_cost: float = 0.0
    error: Optional[str] = None
    conversation_id: Optional[str] = None
    prompt: List[Message] = field(default_factory=list, repr=False)  # as sent (masked)

    @property
    def fallback(self) -> bool:
        return self.outcome != "ok"


class MalformedReply(Exception):
    """The endpoint answered, but not with a chat completion carrying text."""


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RETRYABLE)


def _outcome(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, openai.APITimeoutError)):
        return "timeout"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, (openai.InternalServerError, openai.APIConnectionError)):
        return "unavailable"
    if isinstance(exc, (MalformedReply, ValueError, openai.APIResponseValidationError)):
        return "malformed"
    return "error"


class LLMClient:
    """Chat completions with retries, a circuit breaker, a per-turn deadline and a record."""

    def __init__(self, settings: LLMSettings, recorder: Optional[Callable[[CallRecord], None]] = None,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.settings = settings
        self.recorder = recorder
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds, clock)
        self._client: Optional[openai.AsyncOpenAI] = None
        self.last: Optional[CallRecord] = None

    @property
    def configured(self) -> bool:
        return self.settings.configured

    @property
    def client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                base_url=self.settings.base_url, api_key=self.settings.api_key or "not-needed",
                timeout=self.settings.timeout_seconds, max_retries=0,
            )  # fmt: skip
        return self._client

    async def chat(self, messages: List[Message], purpose: str, deadline: Optional[Deadline] = None,
                   conversation_id: Optional[str] = None, max_tokens: Optional[int] = None) -> Optional[str]:  # fmt: skip
        """The reply's text, or ``None`` (not configured, breaker open, deadline, failure)."""
        if not self.configured:
            return None
        deadline = deadline or Deadline(self.settings.turn_deadline_seconds)
        masked = [{**m, "content": redact_personal(m.get("content", ""))} for m in messages]
        record = CallRecord(purpose, str(self.settings.model), conversation_id=conversation_id, prompt=masked)
        started = time.monotonic()
        text = await self._guarded(record, masked, deadline, max_tokens or self.settings.max_tokens)
        record.latency_ms = int((time.monotonic() - started) * 1000)
        self._finish(record)
        return text

    async def _guarded(self, record: CallRecord, messages: List[Message], deadline: Deadline,
                       max_tokens: int) -> Optional[str]:  # fmt: skip
        if deadline.remaining() <= 0.05:
            record.outcome = "deadline"
            return None
        if not self.breaker.allow():
            record.outcome = "breaker_open"
            return None
        try:
            text = await asyncio.wait_for(self._with_retries(record, messages, deadline, max_tokens),
                                          timeout=deadline.remaining())  # fmt: skip
        except Exception as exc:  # every failure ends in the deterministic fallback
            record.outcome, record.error = _outcome(exc), f"{type(exc).__name__}: {exc}"[:255]
            self.breaker.record_failure()
            return None
        self.breaker.record_success()
        return text

    async def _with_retries(self, record: CallRecord, messages: List[Message], deadline: Deadline,
                            max_tokens: int) -> str:  # fmt: skip
        base = self.settings.retry_base_seconds
        retrying = AsyncRetrying(stop=stop_after_attempt(self.settings.max_attempts),
                                 wait=wait_exponential_jitter(multiplier=base, max=base * 8, jitter=base),
                                 retry=retry_if_exception(_retryable), reraise=True)  # fmt: skip
        async for attempt in retrying:
            with attempt:
                record.attempts += 1
                timeout = min(self.settings.timeout_seconds, max(deadline.remaining(), 0.05))
                completion = await self.client.chat.completions.create(
                    model=str(self.settings.model), messages=messages,  # type: ignore[arg-type]
                    max_tokens=max_tokens, temperature=0, timeout=timeout,
                )  # fmt: skip
                return self._text(record, completion)
        raise MalformedReply("no attempt was made")  # unreachable: tenacity reraises

    def _text(self, record: CallRecord, completion: Any) -> str:
        usage = getattr(completion, "usage", None)
        record.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        record.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(completion, "choices", None) or []
        content = getattr(getattr(choices[0], "message", None), "content", None) if choices else None
        if not isinstance(content, str) or not content.strip():
            raise MalformedReply("the reply has no message content")
        return content.strip()

    def _finish(self, record: CallRecord) -> None:
        s = self.settings
        record.estimated_cost = round(record.prompt_tokens / 1000 * s.prompt_cost_per_1k
                                      + record.completion_tokens / 1000 * s.completion_cost_per_1k, 6)  # fmt: skip
        self.last = record
        logger.info("llm call purpose=%s model=%s outcome=%s attempts=%d tokens=%d+%d latency_ms=%d%s",
                    record.purpose, record.model, record.outcome, record.attempts, record.prompt_tokens,
                    record.completion_tokens, record.latency_ms,
                    f" error={record.error}" if record.error else "")  # fmt: skip
        if self.recorder is not None:
            try:
                self.recorder(record)
            except Exception:  # the record must never cost the customer their answer
                logger.exception("could not record an LLM call")
