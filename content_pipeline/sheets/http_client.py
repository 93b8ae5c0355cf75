"""gspread's HTTP client with what the stock one lacks: a request rate limit shared per account, a timeout, and a
bounded number of retries with backoff on 429 and 5xx (gspread's BackOffHTTPClient retries forever)."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import gspread
import requests
from gspread.http_client import FileType, ParamsType

from content_pipeline.rate_limit import RateLimiter
from content_pipeline.retry_policy import RETRIED_HTTP_STATUSES, parse_retry_after
from content_pipeline.sheets.errors import SheetsUnavailableError
from content_pipeline.sheets.settings import SheetsSettings

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})  # 403s that mean "slow down"


@functools.cache
def shared_limiter(account: str, requests_per_minute: float, burst: int) -> RateLimiter:
    """One limiter per account and rate in this process: Sheets counts quota per user, not per client."""
    return RateLimiter(requests_per_minute, 0, burst_requests=burst)


def is_transient(error: BaseException) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another attempt."""
    if isinstance(error, gspread.exceptions.APIError):
        code = error.response.status_code
        if code in RETRIED_HTTP_STATUSES:
            return True
        reasons = {str(e.get("reason")) for e in error.error.get("errors", []) if isinstance(e, dict)}
        return code == 403 and bool(reasons & RATE_LIMIT_REASONS)
    return isinstance(error, requests.Timeout | requests.ConnectionError)


def retry_after_s(error: BaseException) -> float | None:
    """The server's Retry-After (seconds or an HTTP date), if the error carries one."""
    if not isinstance(error, gspread.exceptions.APIError):
        return None
    return parse_retry_after(error.response.headers.get("Retry-After"))


def describe(error: BaseException) -> str:
    if isinstance(error, gspread.exceptions.APIError):
        status = error.error.get("status") or ""
        message = str(error.error.get("message") or "").strip()
        return f"HTTP {error.response.status_code} {status}: {message[:300]}".strip()
    return f"{type(error).__name__}: {str(error)[:300]}"


class BoundedHTTPClient(gspread.HTTPClient):
    """Every request waits its turn under the account's rate limit; transient failures are retried a few times."""

    settings: SheetsSettings = SheetsSettings(spreadsheet_id="")
    limiter: RateLimiter | None = None
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def configure(self, settings: SheetsSettings, account: str) -> None:
        self.settings = settings
        self.limiter = shared_limiter(account, settings.requests_per_minute, settings.burst)
        self.set_timeout(settings.timeout_s)

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: FileType = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        policy = self.settings.retry_policy()

        def attempt() -> requests.Response:
            if self.limiter is not None:
                self.limiter.acquire(1, threading.Event())
            return super(BoundedHTTPClient, self).request(method, endpoint, params, data, json, files, headers)

        def gave_up(error: BaseException, attempts: int, seconds: float) -> Exception:
            return SheetsUnavailableError(
                f"Google Sheets kept refusing {method.upper()} requests: gave up after {attempts} attempts in "
                f"{seconds:.0f} s (last answer: {describe(error)}). Nothing was lost: rerun the "
                "partition later, or lower CONTENT_PIPELINE_SHEETS_REQUESTS_PER_MINUTE if runs share the quota."
            )

        # the server's Retry-After, capped, else backoff
        return policy.call(attempt, is_transient, gave_up, retry_after_s, self.sleep)
