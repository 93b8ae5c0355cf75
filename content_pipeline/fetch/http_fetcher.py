"""Async HTTP fetching: global and per-host bounds, a per-host rate, retries, robots.txt, the SSRF guard,
a streaming body cap, conditional requests and a journal of finished fetches."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    stop_any,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from content_pipeline.fetch.body_decoder import BodyTooLargeError, BoundedDecoder, UnsupportedEncodingError
from content_pipeline.fetch.client import HttpSession, media_type_and_charset, plain_headers, redirect_target
from content_pipeline.fetch.failures import describe_failure
from content_pipeline.fetch.host_throttle import HostThrottle, HostThrottles
from content_pipeline.fetch.http_cache import CacheWriter, HttpCache
from content_pipeline.fetch.models import FetchRequest, FetchResult, is_transient
from content_pipeline.fetch.retry_timing import parse_retry_after
from content_pipeline.fetch.robots import RobotsFile, RobotsRules, RobotsVerdict
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_guard import Lookup, UrlGuard
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
        journal = self.cache.journal(partition) if self.cache and partition else {}
        guard = UrlGuard(self.settings.allow_private, self.lookup)
        client = HttpSession(self.settings, guard)
        writer = CacheWriter(self.cache.path) if self.cache is not None else None
        try:
            run = FetchRun(self.settings, client, guard, self.cache)

            async def one(request: FetchRequest) -> FetchResult:
                kept = journal.get(request.record_id)
                if kept is not None and kept.url == request.url and kept.finished:
                    kept.cache = "journal"
                    return kept
                result = await run.fetch(request)
                if writer is not None:
                    writer.submit(result, partition)  # committed in the background within moments
                return result

            return list(await asyncio.gather(*(one(r) for r in requests)))
        finally:
            await client.aclose()
            if writer is not None:
                await asyncio.to_thread(writer.close)


class FetchRun:
    """The shared state of one `fetch_all`: the client, the bounds, robots.txt rules and pinned addresses."""

    def __init__(self, settings: FetchSettings, client: HttpSession, guard: UrlGuard, cache: HttpCache | None):
        self.settings, self.client, self.guard, self.cache = settings, client, guard, cache
        self.gate = asyncio.Semaphore(settings.concurrency)
        self.throttles = HostThrottles(settings.per_host_concurrency, settings.per_host_rate)
        self.robots = RobotsRules(settings.user_agent, self.load_robots)

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """One URL, retried on transient failures, honoring robots.txt and Retry-After."""
        try:
            host = urlsplit(request.url).hostname or ""
        except ValueError as exc:  # e.g. an unclosed IPv6 bracket
            return FetchResult(request.record_id, request.url, FetchStatus.INVALID_URL, f"unreadable URL: {exc}")
        verdict = await self.robots_verdict(request, request.url)
        if not verdict.allowed:
            return FetchResult(request.record_id, request.url, verdict.status, verdict.reason)
        throttle = self.throttles.get(host, verdict.crawl_delay_s)
        stored = self.cache.stored(request.url) if self.cache is not None else None
        attempts = 0

        async def attempt() -> FetchResult:
            nonlocal attempts
            attempts += 1
            async with throttle, self.gate:
                return await self.attempt(request, stored)

        result = await attempt()
        if is_transient(result) and self.settings.max_attempts > 1:
            result = await self.retry(result, attempt, throttle)
        result.attempts = attempts
        self.explain_give_up(result)
        return result

    async def retry(
        self, first: FetchResult, attempt: Callable[[], Awaitable[FetchResult]], throttle: HostThrottle
    ) -> FetchResult:
        """Retry after a transient failure (most URLs never get here, so they skip tenacity's cost per call)."""
        s = self.settings
        backoff = wait_exponential_jitter(initial=s.backoff_initial_s, max=s.backoff_max_s, jitter=s.backoff_initial_s)
        pending: FetchResult | None = first

        async def first_then_attempt() -> FetchResult:
            nonlocal pending
            if pending is not None:  # tenacity judges the attempt already made as its first one
                result, pending = pending, None
                return result
            return await attempt()

        def wait(state: RetryCallState) -> float:
            asked = last(state).retry_after_s
            return min(asked, s.retry_after_max_s) if asked is not None else backoff(state)

        def pause_host(state: RetryCallState) -> None:
            asked = last(state).retry_after_s
            if asked is not None:  # a 429/503 with Retry-After holds every request to that host
                throttle.pause(min(asked, s.retry_after_max_s))

        retrying = AsyncRetrying(
            stop=stop_any(stop_after_attempt(s.max_attempts), StopWhenAskedToWaitTooLong(s.retry_after_max_s)),
            wait=wait,
            retry=retry_if_result(is_transient),
            before_sleep=pause_host,
            retry_error_callback=last,
        )
        result: FetchResult = await retrying(first_then_attempt)
        return result

    def explain_give_up(self, result: FetchResult) -> None:
        if not is_transient(result):
            return
        asked, ceiling = result.retry_after_s, self.settings.retry_after_max_s
        if asked is not None and asked > ceiling:
            result.reason += f"; Retry-After {asked:g} s is over the {ceiling:g} s ceiling, not retried"
        elif result.attempts > 1:
            result.reason += f" (gave up after {result.attempts} attempts)"

    async def robots_verdict(self, request: FetchRequest, url: str) -> RobotsVerdict:
        if not (self.settings.respect_robots and request.respect_robots):
            return RobotsVerdict(True)
        try:
            await self.guard.check(url)
        except Exception:  # the attempt reports why the URL cannot be fetched
            return RobotsVerdict(True)
        return await self.robots.verdict(url)

    async def attempt(self, request: FetchRequest, stored: FetchResult | None) -> FetchResult:
        """One try: follow redirects hop by hop within the total timeout; any failure becomes a status."""
        started = time.monotonic()
        result = FetchResult(request.record_id, request.url, FetchStatus.ERROR)
        try:
            async with asyncio.timeout(self.settings.total_timeout_s):
                await self.follow(request, result, stored)
        except RobotsDisallowedError as exc:
            fail(result, FetchStatus.ROBOTS, str(exc))
        except BodyTooLargeError as exc:
            fail(result, FetchStatus.TOO_LARGE, str(exc))
            result.bytes = exc.produced
        except UnsupportedEncodingError as exc:
            fail(result, FetchStatus.ERROR, str(exc))
        except Exception as exc:
            fail(result, *describe_failure(exc, self.settings.total_timeout_s))
        result.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
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
                headers = plain_headers(response)
                if (location := redirect_target(response, headers)) is not None:
                    url = urljoin(url, location)
                    continue
                await self.read(response, headers, result, conditional)
                return
        fail(result, FetchStatus.TOO_MANY_REDIRECTS, f"more than {self.settings.max_redirects} redirects")

    async def read(
        self, response: httpx.Response, headers: dict[str, str], result: FetchResult, stored: FetchResult | None
    ) -> None:
        limit = self.settings.max_body_bytes
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
                        if (location := redirect_target(response, plain_headers(response))) is not None:
                            url = urljoin(url, location)
                            continue
                        if not response.is_success:
                            return RobotsFile(response.status_code)
                        return RobotsFile(response.status_code, await read_capped_text(response, s.robots_max_bytes))
                return RobotsFile(None, f"more than {s.max_redirects} redirects", FetchStatus.TOO_MANY_REDIRECTS)
        except Exception as exc:
            status, reason = describe_failure(exc, s.total_timeout_s)
            return RobotsFile(None, error=reason, error_status=status)


async def read_capped_text(response: httpx.Response, limit: int) -> str:
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
    """A 304: the stored body and content facts stand; the validators may have been refreshed."""
    result.status, result.body, result.bytes = FetchStatus.OK, stored.body, stored.bytes
    result.declared_type, result.content_type = stored.declared_type, stored.content_type
    result.charset, result.charset_source = stored.charset, stored.charset_source
    result.etag = headers.get("etag") or stored.etag
    result.last_modified = headers.get("last-modified") or stored.last_modified
    result.cache = "revalidated"


class StopWhenAskedToWaitTooLong(stop_base):
    """Stop retrying when the server's Retry-After is longer than the ceiling we are willing to wait."""

    def __init__(self, ceiling_s: float) -> None:
        self.ceiling_s = ceiling_s

    def __call__(self, state: RetryCallState) -> bool:
        asked = last(state).retry_after_s
        return asked is not None and asked > self.ceiling_s


def last(state: RetryCallState) -> FetchResult:
    """The result of the latest attempt (attempts never raise: failures are statuses)."""
    assert state.outcome is not None
    result: FetchResult = state.outcome.result()
    return result


def fail(result: FetchResult, status: FetchStatus, reason: str) -> None:
    result.status, result.reason, result.body = status, reason, None
