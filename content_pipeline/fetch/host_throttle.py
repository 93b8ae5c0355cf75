"""Politeness per host: a bound on requests in flight, evenly spaced requests, a pause a server asked for, and
giving up on a host whose requests keep timing out."""

import asyncio
import time

from content_pipeline.fetch.priority_slots import PrioritySlots, Ticket


class HostGivenUpError(Exception):
    """The host's requests timed out too many times in a row: its remaining URLs are not requested."""


class Spacing:
    """Turns at least `interval_s` apart: each call reserves the next turn and says how long to wait for it."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.next_at = 0.0

    def reserve(self) -> float:
        now = time.monotonic()
        turn = max(now, self.next_at)
        self.next_at = turn + self.interval_s
        return turn - now


class HostThrottle:
    """Enter before each request to one host (`acquire`, then `release` once the response is read)."""

    def __init__(self, host: str, concurrency: int, rate_per_s: float, give_up_after_timeouts: int = 0) -> None:
        self.host = host
        self.slots = PrioritySlots(concurrency)
        # Turns are planned before the global gate (so a request waiting for its turn holds no global slot) and
        # checked again right before sending (so a wait at the global gate never bunches two requests together).
        self.planned = Spacing(1 / rate_per_s) if rate_per_s > 0 else None
        self.sent = Spacing(1 / rate_per_s) if rate_per_s > 0 else None
        self.give_up_after_timeouts = give_up_after_timeouts  # 0: never give up
        self.timeouts_in_a_row = 0
        self.given_up: str | None = None  # why the host's remaining URLs are not requested

    def pause(self, seconds: float) -> None:
        """Send no request to this host for `seconds` from now (the server's Retry-After)."""
        self.slots.pause(seconds)

    async def acquire(self, ticket: Ticket, gate: PrioritySlots) -> None:
        """A host slot (once no pause is in force), a global slot from `gate`, then the host's next turn.

        Raises HostGivenUpError, holding nothing, when the host has been given up.
        """
        while True:
            await self.slots.acquire(ticket)
            try:
                if self.given_up is not None:
                    raise HostGivenUpError(self.given_up)
                if self.planned is not None and (delay := self.planned.reserve()) > 0:
                    await asyncio.sleep(delay)
                await gate.acquire(ticket)
            except BaseException:
                self.slots.release()
                raise
            try:
                if self.sent is not None and (delay := self.sent.reserve()) > 0:
                    await asyncio.sleep(delay)
            except BaseException:
                self.release(gate)
                raise
            if not self.slots.paused():
                return
            self.release(gate)  # a pause began while this request waited: wait it out without holding a slot

    def release(self, gate: PrioritySlots) -> None:
        gate.release()
        self.slots.release()

    def record(self, timed_out: bool) -> None:
        """Count timeouts in a row (any other outcome resets the count); give the host up at the limit."""
        self.timeouts_in_a_row = self.timeouts_in_a_row + 1 if timed_out else 0
        limit = self.give_up_after_timeouts
        if limit and self.timeouts_in_a_row >= limit and self.given_up is None:
            self.given_up = f"{self.host} timed out {limit} times in a row"


class HostThrottles:
    """One HostThrottle per host name, created on first use."""

    def __init__(self, concurrency: int, rate_per_s: float, give_up_after_timeouts: int = 0) -> None:
        self.concurrency, self.rate_per_s, self.give_up_after_timeouts = concurrency, rate_per_s, give_up_after_timeouts
        self.by_host: dict[str, HostThrottle] = {}

    def get(self, host: str, crawl_delay_s: float | None = None) -> HostThrottle:
        """The host's throttle; a robots.txt crawl delay slows its rate further (only when first created)."""
        throttle = self.by_host.get(host)
        if throttle is None:
            rate = self.rate_per_s
            if crawl_delay_s:
                rate = min(rate, 1 / crawl_delay_s) if rate > 0 else 1 / crawl_delay_s
            throttle = HostThrottle(host, self.concurrency, rate, self.give_up_after_timeouts)
            self.by_host[host] = throttle
        return throttle
