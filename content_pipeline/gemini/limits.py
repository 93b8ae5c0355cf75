"""Per-run guards of Gemini requests: rate limits, the cost budget, daily-quota detection, the server's retry delay."""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from content_pipeline.retry_policy import parse_retry_after, parse_retry_delay

if TYPE_CHECKING:  # google-genai is imported only where requests are sent
    from google.genai.errors import APIError

DEFAULT_REQUESTS_PER_MINUTE = 150  # under every listed model's paid tier-1 limit; the free tier needs ~10
DEFAULT_TOKENS_PER_MINUTE = 1_000_000
CHARS_PER_TOKEN = 4  # the usual estimate for English text before a request is sent
_DAILY = re.compile(r"per[_ ]?day|daily", re.IGNORECASE)


def estimate_tokens(text: str, max_output_tokens: int) -> int:
    """A request's tokens before it is sent: chars/4 of the prompt plus the most it may answer."""
    return len(text) // CHARS_PER_TOKEN + 1 + max_output_tokens


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


def retry_info_delay_s(details: Any) -> float | None:
    """The delay a google.rpc.RetryInfo in an error body asks for (its `retryDelay`, "13s"), or None."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    for detail in error.get("details") or [] if isinstance(error, dict) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            delay = parse_retry_delay(detail.get("retryDelay"))
            if delay is not None:
                return delay
    return None


def server_delay_s(exc: APIError) -> float | None:
    """The server's retry hint: a Retry-After header or a google.rpc.RetryInfo retryDelay ("13s")."""
    headers = getattr(exc.response, "headers", None)
    asked = parse_retry_after(headers.get("retry-after")) if headers is not None else None
    return asked if asked is not None else retry_info_delay_s(exc.details)
