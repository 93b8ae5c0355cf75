"""One retry policy for every network client (fetch, Sheets, Gemini): how many attempts, how long to wait between
them (exponential backoff with jitter), and the server's own delay (Retry-After in either form, or Google's
RetryInfo `retryDelay`), preferred up to a cap."""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # tenacity is imported only by the callers that retry through it
    from tenacity import RetryCallState
    from tenacity.stop import stop_base

RETRIED_HTTP_STATUSES = frozenset({408, 429, 500, 502, 503, 504})  # what an API client retries (fetch has its own)
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)s")  # a google.protobuf.Duration in JSON: "13s", "0.4s"

ServerDelay = Callable[[BaseException], float | None]  # the delay a failure's answer asked for, if any
GaveUp = Callable[[BaseException, int, float], Exception]  # (last error, attempts made, seconds spent) -> to raise
Result = TypeVar("Result")


class RetrySettings(Protocol):
    """The retry fields every client's settings name alike (fetch, Sheets, Gemini)."""

    @property
    def max_attempts(self) -> int: ...
    @property
    def backoff_initial_s(self) -> float: ...
    @property
    def backoff_max_s(self) -> float: ...
    @property
    def retry_after_max_s(self) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits of one client. The wait before retry n (n = attempts made so far) is
    `min(max_s, initial_s * 2**(n-1) + uniform(0, jitter))`, the formula of tenacity's `wait_exponential_jitter`
    and of google-genai's `HttpRetryOptions`; a delay the server asked for replaces it, cut at `server_delay_max_s`.
    """

    attempts: int = 3  # in all, the first one included
    initial_s: float = 1.0  # the wait before the first retry; doubled per retry
    max_s: float = 30.0  # the longest backoff wait
    jitter_s: float | None = None  # up to this much is added at random to each backoff wait; None: `initial_s`
    server_delay_max_s: float = 120.0  # the longest server-requested delay waited for

    @property
    def jitter(self) -> float:
        return self.initial_s if self.jitter_s is None else self.jitter_s

    def backoff_s(self, attempts_made: int) -> float:
        """Exponential backoff with jitter before the next attempt, within [0, max_s]."""
        try:
            wait = self.initial_s * 2 ** (max(1, attempts_made) - 1) + random.uniform(0, self.jitter)
        except OverflowError:
            wait = self.max_s
        return max(0.0, min(wait, self.max_s))

    def honors(self, server_delay: float) -> bool:
        """True when a server-requested delay is short enough to be waited for in full."""
        return server_delay <= self.server_delay_max_s

    def delay_s(self, attempts_made: int, server_delay: float | None = None) -> float:
        """The wait before the next attempt: the server's delay (at most `server_delay_max_s`), else backoff."""
        if server_delay is not None:
            return max(0.0, min(server_delay, self.server_delay_max_s))
        return self.backoff_s(attempts_made)

    def tenacity_stop(self) -> stop_base:
        """tenacity's `stop` for this policy (sync `Retrying` and `AsyncRetrying` alike)."""
        from tenacity import stop_after_attempt

        return stop_after_attempt(max(1, self.attempts))

    def tenacity_wait(self, server_delay: ServerDelay | None = None) -> Callable[[RetryCallState], float]:
        """tenacity's `wait` for this policy; `server_delay` reads the delay a failure asked for."""

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None and outcome.failed else None
            asked = server_delay(error) if server_delay is not None and error is not None else None
            return self.delay_s(state.attempt_number, asked)

        return wait

    def call(
        self,
        attempt: Callable[[], Result],
        transient: Callable[[BaseException], bool],
        gave_up: GaveUp,
        server_delay: ServerDelay | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Result:
        """`attempt()` again while it fails with a transient error, under this policy; a lasting transient failure
        raises `gave_up(last error, attempts made, seconds spent)` from it, any other error is raised as it is."""
        from tenacity import Retrying, retry_if_exception

        started = time.monotonic()
        retrying = Retrying(
            stop=self.tenacity_stop(),
            wait=self.tenacity_wait(server_delay),
            retry=retry_if_exception(transient),
            sleep=sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Exception as error:
            if not transient(error):
                raise
            attempts = retrying.statistics.get("attempt_number", self.attempts)
            raise gave_up(error, attempts, time.monotonic() - started) from error


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, in delta-seconds or HTTP-date form (a date in the past: 0);
    None when absent or invalid (negative, fractional, non-ASCII digits, a date without a time zone)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, math.ceil(seconds))


def parse_retry_delay(value: object) -> float | None:
    """Seconds from a google.rpc.RetryInfo `retryDelay` ("13s", "0.4s"); None when it is not one."""
    match = _DURATION.fullmatch(str(value or "").strip())
    return float(match.group(1)) if match else None


def retry_policy_of(settings: RetrySettings) -> RetryPolicy:
    """The policy of a client's settings: attempts, backoff (with as much jitter as its first wait) and the longest
    server-requested delay it waits for."""
    return RetryPolicy(
        attempts=settings.max_attempts,
        initial_s=settings.backoff_initial_s,
        max_s=settings.backoff_max_s,
        server_delay_max_s=settings.retry_after_max_s,
    )
