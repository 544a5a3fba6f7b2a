"""A circuit breaker: after a run of failed calls the endpoint is left alone for a while."""

from __future__ import annotations

import time
from typing import Callable, Optional


class CircuitBreaker:
    """Closed: calls go through. ``failures`` failed calls in a row open it: for
    ``reset_seconds`` no call is made. Then one trial call is let through (half-open); its
    success closes the breaker, its failure opens it again."""

    def __init__(
        self, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failed_in_row = 0
        self.opened_at: Optional[float] = None
        self.trial_running = False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        if self.opened_at is None:
            return "closed"
        return "open" if self.clock() - self.opened_at < self.reset_seconds else "half_open"

    def allow(self) -> bool:
        """Whether a call may be made now (in half-open state, only one at a time)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def record_success(self) -> None:
        self.failed_in_row, self.opened_at, self.trial_running = 0, None, False

    def record_failure(self) -> None:
        self.failed_in_row += 1
        if self.trial_running or self.failed_in_row >= self.failures:
            self.opened_at = self.clock()
        self.trial_running = False
