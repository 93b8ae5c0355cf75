"""Async HTTP fetching with bounded concurrency, timeouts, a body cap and a checked redirect chain."""

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx

from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_guard import BlockedUrlError, UnresolvableHostError, UrlGuard
from content_pipeline.status import FetchStatus


class HttpFetcher:
    """Fetches many URLs concurrently; every request ends in a FetchResult, never an exception."""

    def __init__(self, settings: FetchSettings | None = None, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings or FetchSettings()
        self.guard = UrlGuard(self.settings.allow_private)
        self.transport = transport

    def fetch_all(self, requests: Sequence[FetchRequest]) -> list[FetchResult]:
        """Fetch every request (results in input order); blocks until all are done."""
        return asyncio.run(self.fetch_all_async(requests))

    async def fetch_all_async(self, requests: Sequence[FetchRequest]) -> list[FetchResult]:
        s = self.settings
        limits = httpx.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency)
        timeout = httpx.Timeout(s.read_timeout_s, connect=s.connect_timeout_s)
        gate = asyncio.Semaphore(s.concurrency)
        async with httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            follow_redirects=False,
            headers={"User-Agent": s.user_agent},
            transport=self.transport,
        ) as client:

            async def bounded(request: FetchRequest) -> FetchResult:
                async with gate:
                    return await self.fetch_one(client, request)

            return list(await asyncio.gather(*(bounded(r) for r in requests)))

    async def fetch_one(self, client: httpx.AsyncClient, request: FetchRequest) -> FetchResult:
        started = time.monotonic()
        result = FetchResult(request.record_id, request.url, FetchStatus.ERROR)
        try:
            await asyncio.wait_for(self.follow(client, request.url, result), self.settings.total_timeout_s)
        except TimeoutError:
            fail(result, FetchStatus.TIMEOUT, f"no complete response within {self.settings.total_timeout_s:g} s")
        except httpx.TimeoutException as exc:
            fail(result, FetchStatus.TIMEOUT, f"{type(exc).__name__}: no response in time")
        except BlockedUrlError as exc:
            fail(result, FetchStatus.BLOCKED, str(exc))
        except UnresolvableHostError as exc:
            fail(result, FetchStatus.CONNECTION_ERROR, str(exc))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            fail(result, FetchStatus.INVALID_URL, str(exc))
        except httpx.TransportError as exc:
            fail(result, FetchStatus.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}".strip(": "))
        except httpx.HTTPError as exc:
            fail(result, FetchStatus.ERROR, f"{type(exc).__name__}: {exc}")
        result.elapsed_ms = round((time.monotonic() - started) * 1000, 1)
        result.fetched_at = datetime.now(UTC)
        return result

    async def follow(self, client: httpx.AsyncClient, url: str, result: FetchResult) -> None:
        """Request `url`, following redirects one checked hop at a time, and fill `result`."""
        for hop in range(self.settings.max_redirects + 1):
            await self.guard.check(url)
            result.final_url, result.redirects = url, hop
            async with client.stream("GET", url) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                await self.read_response(response, result)
                return
        fail(result, FetchStatus.TOO_MANY_REDIRECTS, f"more than {self.settings.max_redirects} redirects")

    async def read_response(self, response: httpx.Response, result: FetchResult) -> None:
        headers = response.headers
        result.http_status = response.status_code
        result.content_type = headers.get("content-type", "").split(";")[0].strip().lower() or None
        result.charset = response.charset_encoding
        result.etag, result.last_modified = headers.get("etag"), headers.get("last-modified")
        if not response.is_success:
            fail(result, FetchStatus.HTTP_ERROR, f"HTTP {response.status_code} {response.reason_phrase}".strip())
            return
        limit, chunks, size = self.settings.max_body_bytes, [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                fail(result, FetchStatus.TOO_LARGE, f"body larger than {limit} bytes (decoded)")
                result.bytes = size
                return
            chunks.append(chunk)
        result.status, result.body, result.bytes = FetchStatus.OK, b"".join(chunks), size


def fail(result: FetchResult, status: FetchStatus, reason: str) -> None:
    result.status, result.reason, result.body = status, reason, None
