"""Per-run guards of the Gemini provider: request and token rate limits, the cost budget, daily-quota detection."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_REQUESTS_PER_MINUTE = 150  # under every listed model's paid tier-1 limit; the free tier needs ~10
DEFAULT_TOKENS_PER_MINUTE = 1_000_000
CHARS_PER_TOKEN = 4  # the usual estimate for English text before a request is sent
_POLL_S = 0.25  # a waiting thread rechecks this often, so refunds and a stopped run are seen quickly
_DAILY = re.compile(r"per[_ ]?day|daily", re.IGNORECASE)


def estimate_tokens(text: str, max_output_tokens: int) -> int:
    """A request's tokens before it is sent: chars/4 of the prompt plus the most it may answer."""
    return len(text) // CHARS_PER_TOKEN + 1 + max_output_tokens


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
        requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
        tokens_per_minute: float = DEFAULT_TOKENS_PER_MINUTE,
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


class Budget:
    """Spend against a maximum cost per run (None: no maximum); requests in flight count at their estimate."""

    def __init__(self, max_usd: float | None) -> None:
        self.max_usd = max_usd
        self._lock = threading.Lock()
        self._spent = 0.0
        self._in_flight = 0.0

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent

    def reserve(self, estimate_usd: float) -> bool:
        """Count a request about to start; False when it could take the spend past the maximum."""
        with self._lock:
            if self.max_usd is not None and self._spent + self._in_flight + estimate_usd > self.max_usd:
                return False
            self._in_flight += estimate_usd
            return True

    def settle(self, estimate_usd: float, actual_usd: float) -> None:
        with self._lock:
            self._in_flight = max(0.0, self._in_flight - estimate_usd)
            self._spent += actual_usd


def daily_quota_id(details: Any) -> str | None:
    """The per-day quota named by a google.rpc.QuotaFailure in an error body, or None for any other 429."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    for detail in error.get("details") or [] if isinstance(error, dict) else []:
        if not (isinstance(detail, dict) and str(detail.get("@type", "")).endswith("QuotaFailure")):
            continue
        for violation in detail.get("violations") or []:
            if not isinstance(violation, dict):
                continue
            for key in ("quotaId", "quotaMetric", "quota_id", "quota_metric"):
                value = str(violation.get(key) or "")
                if _DAILY.search(value):
                    return value
    return None
