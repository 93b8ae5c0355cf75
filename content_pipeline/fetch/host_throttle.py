"""Politeness per host: a bound on requests in flight, a request rate, and a pause a server asked for."""

import asyncio
import time
from types import TracebackType

from aiolimiter import AsyncLimiter


class HostThrottle:
    """Enter before each request to one host: waits for a free slot, any pause, and the rate limiter."""

    def __init__(self, concurrency: int, rate_per_s: float) -> None:
        self.slots = asyncio.Semaphore(max(1, concurrency))
        self.limiter = AsyncLimiter(1, 1 / rate_per_s) if rate_per_s > 0 else None  # evenly spaced, no bursts
        self.resume_at = 0.0  # monotonic time before which no request is sent (the server's Retry-After)

    def pause(self, seconds: float) -> None:
        """Hold every request to this host for `seconds` from now (never shortens a longer pause)."""
        self.resume_at = max(self.resume_at, time.monotonic() + seconds)

    async def __aenter__(self) -> None:
        await self.slots.acquire()
        try:
            while (delay := self.resume_at - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            if self.limiter is not None:
                await self.limiter.acquire()
        except BaseException:
            self.slots.release()
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.slots.release()


class HostThrottles:
    """One HostThrottle per host name, created on first use."""

    def __init__(self, concurrency: int, rate_per_s: float) -> None:
        self.concurrency, self.rate_per_s = concurrency, rate_per_s
        self.by_host: dict[str, HostThrottle] = {}

    def get(self, host: str, crawl_delay_s: float | None = None) -> HostThrottle:
        """The host's throttle; a robots.txt crawl delay slows its rate further (only when first created)."""
        throttle = self.by_host.get(host)
        if throttle is None:
            rate = self.rate_per_s
            if crawl_delay_s:
                rate = min(rate, 1 / crawl_delay_s) if rate > 0 else 1 / crawl_delay_s
            throttle = self.by_host[host] = HostThrottle(self.concurrency, rate)
        return throttle
