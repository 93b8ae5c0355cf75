"""A semaphore that hands its slots out by priority (retries before fresh requests, FIFO within a priority) and
hands none out while a pause is in force, so nobody holds a slot just to wait out a pause."""

import asyncio
import heapq
import itertools
import time

Ticket = tuple[int, int]  # (priority, arrival number): the lower ticket is served first

RETRY, FRESH = 0, 1  # priorities: a retry that is due goes before every fresh request


class Tickets:
    """Numbers requests in the order they first ask, so that ties between equal priorities are FIFO."""

    def __init__(self) -> None:
        self.numbers = itertools.count()

    def fresh(self) -> Ticket:
        return FRESH, next(self.numbers)

    def retry(self) -> Ticket:
        return RETRY, next(self.numbers)


class PrioritySlots:
    """`capacity` slots; waiters are served lowest ticket first. O(log n) per wait, nothing when a slot is free."""

    def __init__(self, capacity: int) -> None:
        self.free = max(1, capacity)
        self.waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # a heap; cancelled waiters are skipped
        self.resume_at = 0.0  # monotonic time before which no slot is handed out
        self.wake: asyncio.TimerHandle | None = None

    def paused(self) -> bool:
        return self.resume_at > 0 and self.resume_at > time.monotonic()

    def pause(self, seconds: float) -> None:
        """Hand out no slot for `seconds` from now (never shortens a longer pause); slots in use are not taken back."""
        self.resume_at = max(self.resume_at, time.monotonic() + seconds)

    async def acquire(self, ticket: Ticket) -> None:
        if self.free and not self.waiters and not self.paused():
            self.free -= 1
            return
        granted = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiters, (*ticket, granted))
        self.dispatch()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # the slot came with the cancellation: pass it on
                self.release()
            raise

    def release(self) -> None:
        self.free += 1
        self.dispatch()

    def dispatch(self) -> None:
        """Give free slots to the best waiters, unless paused: then come back when the pause ends."""
        while self.free and self.waiters:
            if self.paused():
                self.wake_at_resume()
                return
            *_, granted = heapq.heappop(self.waiters)
            if not granted.done():
                self.free -= 1
                granted.set_result(None)

    def wake_at_resume(self) -> None:
        if self.wake is None:  # a pause extended meanwhile is seen when it fires, which then waits again
            self.wake = asyncio.get_running_loop().call_later(self.resume_at - time.monotonic(), self.woken)

    def woken(self) -> None:
        self.wake = None
        self.dispatch()
