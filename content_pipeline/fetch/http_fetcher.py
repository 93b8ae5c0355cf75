"""Async HTTP fetching: global and per-host bounds, a per-host rate, retries, robots.txt, the SSRF guard,
a streaming body cap, conditional requests and a journal of finished fetches."""

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from content_pipeline.fetch.body_decoder import BodyTooLargeError, BoundedDecoder, UnsupportedEncodingError
from content_pipeline.fetch.client import HttpSession, WebResponse, media_type_and_charset, redirect_target
from content_pipeline.fetch.content_facts import describe_content
from content_pipeline.fetch.failures import describe_failure
from content_pipeline.fetch.host_throttle import HostGivenUpError, HostThrottle, HostThrottles
from content_pipeline.fetch.http_cache import CacheWriter, HttpCache
from content_pipeline.fetch.models import FetchRequest, FetchResult, is_transient
from content_pipeline.fetch.priority_slots import PrioritySlots, Ticket, Tickets
from content_pipeline.fetch.robots import RobotsFile, RobotsRules, RobotsVerdict
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.time_budget import TimeBudget
from content_pipeline.fetch.url_guard import Lookup, UrlGuard
from content_pipeline.retry_policy import parse_retry_after
from content_pipeline.status import FetchStatus


class RobotsDisallowedError(Exception):
    """A redirect led to a URL that robots.txt disallows."""


class HttpFetcher:
    """Fetches many URLs concurrently; every request ends in a FetchResult, never an exception."""

    def __init__(
        self, settings: FetchSettings | None = None, cache: HttpCache | None = None, lookup: Lookup | None = None
    ) -> None:
        self.settings = settings or FetchSettings()
        self.cache = cache
        self.lookup = lookup  # how host names are resolved (tests inject one); the system resolver by default

    def fetch_all(self, requests: Sequence[FetchRequest], partition: str | None = None) -> list[FetchResult]:
        """Fetch every request (results in input order); blocks until all are done.

        With a cache and a `partition`, finished fetches are journaled as they complete and reused by the next
        run of the same partition until `HttpCache.close_partition` is called after the partition is stored.
        """
        return asyncio.run(self.fetch_all_async(requests, partition))

    async def fetch_all_async(
        self, requests: Sequence[FetchRequest], partition: str | None = None
    ) -> list[FetchResult]:
        async with self.session(partition) as session:
            return await session.fetch_many(requests)

    @asynccontextmanager
    async def session(self, partition: str | None = None) -> AsyncIterator["FetchSession"]:
        """One client, one set of bounds and one journal writer for many `fetch_many` calls (a day's chunks)."""
        guard = UrlGuard(self.settings.allow_private, self.lookup)
        client = HttpSession(self.settings, guard)
        writer = CacheWriter(self.cache.location) if self.cache is not None else None
        try:
            yield FetchSession(FetchRun(self.settings, client, guard, self.cache), self.cache, writer, partition)
        finally:
            await client.aclose()
            if writer is not None:
                await asyncio.to_thread(writer.close)


class FetchSession:
    """Fetches batches of requests with shared bounds; finished fetches are journaled for the partition."""

    def __init__(
        self, run: "FetchRun", cache: HttpCache | None, writer: CacheWriter | None, partition: str | None
    ) -> None:
        self.run, self.cache, self.writer, self.partition = run, cache, writer, partition

    async def fetch_many(self, requests: Sequence[FetchRequest]) -> list[FetchResult]:
        """Every request's result, in input order; those an interrupted run finished come from the journal."""
        journal: dict[str, FetchResult] = {}
        if self.cache is not None and self.partition is not None:
            journal = self.cache.journal(self.partition, [r.record_id for r in requests])

        async def one(request: FetchRequest) -> FetchResult:
            kept = journal.pop(request.record_id, None)
            if kept is not None and kept.url == request.url and kept.finished:
                kept.cache = "journal"
                return kept
            result = await self.run.fetch(request)
            if result.cache is None:  # a 304 has the stored body's facts, described when it came with a 200
                describe_content(result)  # before it is stored: a 304 or the journal hands these facts back as they are
            if self.writer is not None:
                await self.writer.submit_async(result, self.partition)  # committed in the background within moments
            return result

        return list(await asyncio.gather(*(one(r) for r in requests)))


class FetchRun:
    """The shared state of one `fetch_all`: the client, the bounds, robots.txt rules and pinned addresses."""

    def __init__(self, settings: FetchSettings, client: HttpSession, guard: UrlGuard, cache: HttpCache | None):
        self.settings, self.client, self.guard, self.cache = settings, client, guard, cache
        self.retry = settings.retry_policy()
        self.gate = PrioritySlots(settings.concurrency)
        self.throttles = HostThrottles(
            settings.per_host_concurrency, settings.per_host_rate, settings.give_up_host_after_timeouts
        )
        self.tickets = Tickets()
        self.robots = RobotsRules(settings.user_agent, self.load_robots)

    async def stored(self, url: str) -> FetchResult | None:
        """What the HTTP cache holds for `url`: read on the loop from a local file (microseconds), in a thread from a
        shared database (a network round trip would hold up every other request)."""
        if self.cache is None:
            return None
        if self.cache.shared:
            return await asyncio.to_thread(self.cache.stored, url)
        return self.cache.stored(url)

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """One URL, retried on transient failures within its time budget, honoring robots.txt and Retry-After."""
        try:
            host = urlsplit(request.url).hostname or ""
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            return FetchResult(request.record_id, request.url, FetchStatus.INVALID_URL, f"unreadable URL: {exc}")
        verdict = await self.robots_verdict(request, request.url)
        if not verdict.allowed:
            return FetchResult(request.record_id, request.url, verdict.status, verdict.reason)
        throttle = self.throttles.get(host, verdict.crawl_delay_s)
        stored = await self.stored(request.url)
        budget = TimeBudget(self.settings.total_timeout_s)
        result = await self.attempt_in_turn(request, stored, budget, throttle, self.tickets.fresh())
        if result is None:
            reason = f"not requested: {throttle.given_up}"
            return FetchResult(request.record_id, request.url, FetchStatus.TIMEOUT, reason)
        result.attempts = 1
        while (why_final := self.why_final(result, budget, throttle)) is None:
            if result.retry_after_s is None:
                await asyncio.sleep(self.retry.backoff_s(result.attempts))
            # after a Retry-After the host is paused that long: the retry waits in the host's queue, first in line
            retried = await self.attempt_in_turn(request, stored, budget, throttle, self.tickets.retry())
            if retried is None:  # the host was given up meanwhile
                result.reason += f"; not retried: {throttle.given_up}"
                return result
            retried.attempts = result.attempts + 1
            result = retried
        result.reason += why_final
        return result

    async def attempt_in_turn(
        self,
        request: FetchRequest,
        stored: FetchResult | None,
        budget: TimeBudget,
        throttle: HostThrottle,
        ticket: Ticket,
    ) -> FetchResult | None:
        """One attempt once the host's and the global bounds let it go; None when the host has been given up."""
        try:
            await throttle.acquire(ticket, self.gate)
        except HostGivenUpError:
            return None
        try:
            result = await self.attempt(request, stored, budget)
            throttle.record(timed_out=result.status == FetchStatus.TIMEOUT)
            asked = result.retry_after_s
            if asked is not None and self.retry.honors(asked) and is_transient(result):
                throttle.pause(asked)  # a 429/503 with Retry-After holds every request to that host, this URL's too
        finally:
            throttle.release(self.gate)
        return result

    def why_final(self, result: FetchResult, budget: TimeBudget, throttle: HostThrottle) -> str | None:
        """None when `result` is to be retried, else what to add to its reason (often nothing)."""
        if not is_transient(result):
            return ""
        retry, attempts = self.retry, result.attempts
        asked = result.retry_after_s
        if asked is not None and not retry.honors(asked):
            return f"; Retry-After {asked:g} s is over the {retry.server_delay_max_s:g} s ceiling, not retried"
        if attempts >= retry.attempts:
            return f" (gave up after {attempts} attempts)" if attempts > 1 else ""
        if budget.spent:
            spent = f"the URL's {budget.total_s:g} s time budget is spent"
            return f" (gave up after {attempts} attempts: {spent})" if attempts > 1 else f"; not retried: {spent}"
        if throttle.given_up is not None:
            return f"; not retried: {throttle.given_up}"
        return None

    async def robots_verdict(self, request: FetchRequest, url: str) -> RobotsVerdict:
        if not (self.settings.respect_robots and request.respect_robots):
            return RobotsVerdict(True)
        try:
            await self.guard.check(url)
        except Exception:  # the attempt reports why the URL cannot be fetched
            return RobotsVerdict(True)
        return await self.robots.verdict(url)

    async def attempt(self, request: FetchRequest, stored: FetchResult | None, budget: TimeBudget) -> FetchResult:
        """One try: follow redirects hop by hop within what is left of the URL's time budget (at most
        `total_timeout_s`); any failure becomes a status."""
        started = time.monotonic()
        result = FetchResult(request.record_id, request.url, FetchStatus.ERROR)
        limit_s = budget.left_s
        deadline = asyncio.timeout(limit_s)
        try:
            async with deadline:
                await self.follow(request, result, stored)
        except RobotsDisallowedError as exc:
            fail(result, FetchStatus.ROBOTS, str(exc))
        except BodyTooLargeError as exc:
            fail(result, FetchStatus.TOO_LARGE, str(exc))
            result.bytes = exc.produced
        except UnsupportedEncodingError as exc:
            fail(result, FetchStatus.ERROR, str(exc))
        except Exception as exc:
            fail(result, *describe_failure(exc, round(limit_s, 2)))
        elapsed_s = time.monotonic() - started
        budget.use(elapsed_s, ran_out=deadline.expired())
        result.elapsed_ms = round(elapsed_s * 1000, 1)
        result.fetched_at = datetime.now(UTC)
        return result

    async def follow(self, request: FetchRequest, result: FetchResult, stored: FetchResult | None) -> None:
        """Request the URL, following redirects one checked hop at a time, and fill `result`."""
        url = request.url
        for hop in range(self.settings.max_redirects + 1):
            await self.guard.check(url)
            if hop and not (verdict := await self.robots_verdict(request, url)).allowed:
                raise RobotsDisallowedError(verdict.reason)
            result.final_url, result.redirects = url, hop
            conditional = stored if stored is not None and stored.final_url == url else None
            async with self.client.get(url, validator_headers(conditional)) as response:
                if (location := redirect_target(response)) is not None:
                    url = urljoin(url, location)
                    continue
                await self.read(response, result, conditional)
                return
        fail(result, FetchStatus.TOO_MANY_REDIRECTS, f"more than {self.settings.max_redirects} redirects")

    async def read(self, response: WebResponse, result: FetchResult, stored: FetchResult | None) -> None:
        limit, headers = self.settings.max_body_bytes, response.headers
        result.http_status = response.status_code
        if response.status_code == 304 and stored is not None:
            reuse_stored(stored, result, headers)
            return
        result.declared_type, result.charset = media_type_and_charset(headers.get("content-type"))
        result.content_type = result.declared_type
        result.etag, result.last_modified = headers.get("etag"), headers.get("last-modified")
        if not response.is_success:
            result.retry_after_s = parse_retry_after(headers.get("retry-after"))
            fail(result, FetchStatus.HTTP_ERROR, f"HTTP {response.status_code} {response.reason_phrase}".strip())
            return
        decoder = BoundedDecoder(headers.get("content-encoding"), limit)
        declared_length = headers.get("content-length", "")
        if decoder.coding is None and declared_length.isdigit() and int(declared_length) > limit:
            fail(
                result,
                FetchStatus.TOO_LARGE,
                f"Content-Length {declared_length} is over the {limit}-byte limit; not read",
            )
            return
        chunks = [decoder.feed(chunk) async for chunk in response.aiter_raw()]
        chunks.append(decoder.flush())
        result.status, result.body, result.bytes = FetchStatus.OK, b"".join(chunks), decoder.produced

    async def load_robots(self, robots_url: str) -> RobotsFile:
        """GET a robots.txt through the same guard and client, cut at `robots_max_bytes`."""
        s, url = self.settings, robots_url
        try:
            # not under self.gate: an attempt holding a slot may be waiting for this (at most one per origin)
            async with asyncio.timeout(s.total_timeout_s):
                for _ in range(s.max_redirects + 1):
                    await self.guard.check(url)
                    async with self.client.get(url) as response:
                        if (location := redirect_target(response)) is not None:
                            url = urljoin(url, location)
                            continue
                        if not response.is_success:
                            return RobotsFile(response.status_code)
                        return RobotsFile(response.status_code, await read_capped_text(response, s.robots_max_bytes))
                return RobotsFile(None, f"more than {s.max_redirects} redirects", FetchStatus.TOO_MANY_REDIRECTS)
        except Exception as exc:
            status, reason = describe_failure(exc, s.total_timeout_s)
            return RobotsFile(None, error=reason, error_status=status)


async def read_capped_text(response: WebResponse, limit: int) -> str:
    """The body's first `limit` decoded bytes as UTF-8 text (RFC 9309 lets a crawler stop reading there)."""
    decoder, chunks = BoundedDecoder(response.headers.get("content-encoding"), limit), []
    try:
        async for chunk in response.aiter_raw():
            chunks.append(decoder.feed(chunk))
        chunks.append(decoder.flush())
    except BodyTooLargeError:
        pass
    return b"".join(chunks)[:limit].decode("utf-8", errors="replace")


def validator_headers(stored: FetchResult | None) -> dict[str, str] | None:
    """If-None-Match / If-Modified-Since from a stored response, for a conditional request."""
    if stored is None:
        return None
    headers = {}
    if stored.etag:
        headers["If-None-Match"] = stored.etag
    if stored.last_modified:
        headers["If-Modified-Since"] = stored.last_modified
    return headers or None


def reuse_stored(stored: FetchResult, result: FetchResult, headers: dict[str, str]) -> None:
    """A 304: the stored body and content facts (as `describe_content` found them) stand; the validators may have
    been refreshed."""
    result.status, result.body, result.bytes = FetchStatus.OK, stored.body, stored.bytes
    result.declared_type, result.content_type = stored.declared_type, stored.content_type
    result.charset, result.charset_source = stored.charset, stored.charset_source
    result.etag = headers.get("etag") or stored.etag
    result.last_modified = headers.get("last-modified") or stored.last_modified
    result.cache = "not_modified"


def fail(result: FetchResult, status: FetchStatus, reason: str) -> None:
    result.status, result.reason, result.body = status, reason, None
