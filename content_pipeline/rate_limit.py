"""Requests-per-minute and tokens-per-minute limits shared by worker threads (Gemini, Sheets)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_POLL_S = 0.25  # a waiting thread rechecks this often, so refunds and a stopped run are seen quickly


class TokenBucket:
    """Units that refill evenly at `per_minute` up to `burst`; a request may start when the bucket is not in debt.

    Not thread-safe on its own: RateLimiter holds the lock. A start takes its cost even past zero (the debt), so
    after a burst, starts are spaced by their cost: in any minute at most `per_minute + burst` units plus the one
    request that started in debt.
    """

    def __init__(self, per_minute: float, burst: float, now: float) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(0.0, burst)
        self.level = self.burst  # below 0: the debt still to pay back, in units
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.burst, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_s(self) -> float:
        """Seconds until the debt is paid (call refill first)."""
        return -self.level / self.rate if self.level < 0 else 0.0


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits shared by all worker threads; 0 switches a limit off.

    `burst_requests` and `burst_tokens` may start at once beyond the even pace (e.g. the workers' first round).
    """

    def __init__(
        self,
        requests_per_minute: float,
        tokens_per_minute: float = 0,
        *,
        burst_requests: float = 0,
        burst_tokens: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        now = clock()
        rpm, tpm = requests_per_minute, tokens_per_minute
        self._requests = TokenBucket(rpm, burst_requests, now) if rpm > 0 else None
        self._tokens = TokenBucket(tpm, burst_tokens, now) if tpm > 0 else None

    def try_acquire(self, tokens: int) -> float:
        """Take one request and `tokens` when both limits allow it (returns 0.0), else the seconds to wait."""
        with self._lock:
            now = self._clock()
            buckets = [b for b in (self._requests, self._tokens) if b is not None]
            for bucket in buckets:
                bucket.refill(now)
            wait = max((b.wait_s() for b in buckets), default=0.0)
            if wait > 0:
                return wait
            if self._requests is not None:
                self._requests.level -= 1
            if self._tokens is not None:
                self._tokens.level -= tokens
            return 0.0

    def acquire(self, tokens: int, stop: threading.Event) -> bool:
        """Block until the limits allow a request of `tokens`; False when `stop` is set first."""
        while not stop.is_set():
            wait = self.try_acquire(tokens)
            if wait == 0.0:
                return True
            stop.wait(min(wait, _POLL_S))
        return False

    def settle(self, estimated: int, actual: int) -> None:
        """Replace a request's estimated tokens by its real usage (a refund when it used fewer)."""
        if self._tokens is None:
            return
        with self._lock:
            self._tokens.refill(self._clock())
            self._tokens.level = min(self._tokens.burst, self._tokens.level + estimated - actual)
