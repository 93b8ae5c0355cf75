"""A retry goes out when it is due, ahead of the host's backlog of fresh requests, and still inside the host's
bounds: observed at the server, and on the priority slots themselves."""

import asyncio

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest
from content_pipeline.fetch.priority_slots import PrioritySlots, Tickets
from content_pipeline.fetch.settings import FetchSettings
from tests.fakes.misbehaving_site import SeenRequest, Site

BUSY_HOST = FetchSettings(
    allow_private=("127.0.0.1",),
    respect_robots=False,
    per_host_concurrency=4,
    per_host_rate=50.0,
    max_attempts=3,
    backoff_initial_s=0.2,
    backoff_max_s=0.5,
    retry_after_max_s=5.0,
    total_timeout_s=10.0,
)
RETRY_AFTER_S = 1.0


def day_of_one_host() -> list[str]:
    """200 fresh pages, 12 slow ones in a row (to see the concurrency bound), and a few that fail once at the front."""
    paths = [f"/plain/day/{i}" for i in range(200)]
    paths[100:100] = [f"/slow/day/{i}" for i in range(12)]
    for position, path in [(5, "/throttled/1/a"), (10, "/flaky/1/b"), (15, "/throttled/1/c"), (20, "/flaky/1/d")]:
        paths.insert(position, path)
    return paths


def most_in_any_second(arrivals: list[SeenRequest]) -> int:
    times = sorted(r.at for r in arrivals)
    return max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))


def test_retries_go_out_when_due_ahead_of_the_hosts_backlog_within_its_bounds(site: Site) -> None:
    paths = day_of_one_host()
    results = HttpFetcher(BUSY_HOST).fetch_all([FetchRequest(p, site.url(p)) for p in paths])
    assert {r.status.value for r in results} == {"ok"}, [(r.url, r.reason) for r in results if r.reason]

    everything = site.log.starting_with("/")
    fresh = [r.at for r in everything if not r.path.startswith(("/throttled/", "/flaky/"))]
    for path in ("/throttled/1/a", "/flaky/1/b", "/throttled/1/c", "/flaky/1/d"):
        first, retry = site.log.times(path)
        fresh_after_retry = sum(1 for t in fresh if t > retry)
        assert fresh_after_retry > 100, f"{path}: the retry came after all but {fresh_after_retry} fresh requests"
    for path in ("/throttled/1/a", "/throttled/1/c"):
        first, retry = site.log.times(path)
        assert retry - first >= RETRY_AFTER_S  # never before the Retry-After
        during_pause = [r.path for r in everything if first + 0.5 <= r.at < first + RETRY_AFTER_S]
        assert during_pause == [], f"the host was asked to wait after {path}, yet got {during_pause}"
    assert site.log.max_in_flight == BUSY_HOST.per_host_concurrency  # 12 slow pages in a row fill, never exceed, 4
    assert most_in_any_second(everything) <= BUSY_HOST.per_host_rate + 2  # 50 per second, give or take the edges


# PrioritySlots on its own


def test_a_retry_takes_the_next_free_slot_before_fresh_requests_that_waited_longer() -> None:
    async def scenario() -> list[str]:
        slots, tickets, order = PrioritySlots(1), Tickets(), []
        await slots.acquire(tickets.fresh())  # the one slot is busy

        async def wait(name: str, ticket: tuple[int, int]) -> None:
            await slots.acquire(ticket)
            order.append(name)
            slots.release()

        waiting = [asyncio.create_task(wait(f"fresh {i}", tickets.fresh())) for i in range(3)]
        await asyncio.sleep(0)
        waiting += [asyncio.create_task(wait(f"retry {i}", tickets.retry())) for i in range(2)]
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*waiting)
        return order

    assert asyncio.run(scenario()) == ["retry 0", "retry 1", "fresh 0", "fresh 1", "fresh 2"]


def test_no_slot_is_handed_out_during_a_pause_and_waiters_are_served_when_it_ends() -> None:
    async def scenario() -> tuple[list[str], float]:
        slots, tickets, order = PrioritySlots(2), Tickets(), []
        slots.pause(0.3)
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def wait(name: str) -> None:
            await slots.acquire(tickets.fresh())
            order.append(name)

        await asyncio.wait_for(asyncio.gather(wait("a"), wait("b")), timeout=10)  # a hang guard only
        return order, loop.time() - started

    order, waited = asyncio.run(scenario())
    assert order == ["a", "b"] and waited >= 0.3


def test_a_waiter_cancelled_while_it_waits_does_not_keep_a_slot() -> None:
    async def scenario() -> int:
        slots, tickets = PrioritySlots(1), Tickets()
        await slots.acquire(tickets.fresh())
        gone = asyncio.create_task(slots.acquire(tickets.fresh()))
        await asyncio.sleep(0)
        gone.cancel()
        slots.release()
        await asyncio.wait_for(slots.acquire(tickets.fresh()), timeout=10)  # the slot came back: no hang
        return slots.free

    assert asyncio.run(scenario()) == 0
