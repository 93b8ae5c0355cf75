"""The HTTP session the fetcher uses: httpx requests and responses on an aiohttp transport.

httpx's own connection pool collapses at high concurrency (encode/httpx#3215), so requests go to the
`httpx-aiohttp` transport. They are handed to the transport directly: `httpx.AsyncClient` would add cookie
handling, auth and URL merging per request, none of which the fetcher uses, at about a third of its CPU per page.
The aiohttp connector resolves host names through the UrlGuard, so it connects only to checked addresses.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from content_pipeline.fetch.body_decoder import ACCEPT_ENCODING
from content_pipeline.fetch.guarded_resolver import GuardedResolver
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_guard import UrlGuard

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KEEPALIVE_S = 15.0


REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def plain_headers(response: httpx.Response) -> dict[str, str]:
    """The response headers once as a plain dict (lower-case names; repeated headers joined with ", ")."""
    headers: dict[str, str] = {}
    for name, value in response.headers.raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def redirect_target(response: httpx.Response, headers: dict[str, str]) -> str | None:
    """The Location of a redirect response, else None."""
    return headers.get("location") if response.status_code in REDIRECT_CODES else None


def media_type_and_charset(content_type: str | None) -> tuple[str | None, str | None]:
    """("text/html", "utf-8") from "text/HTML; charset=UTF-8"; None for what is missing."""
    if not content_type:
        return None, None
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip("\"'"):
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower() or None, charset


class HttpSession:
    """GET requests that never follow redirects, keep no cookies and ignore proxy variables."""

    def __init__(self, settings: FetchSettings, guard: UrlGuard) -> None:
        connector = aiohttp.TCPConnector(
            limit=settings.concurrency,
            limit_per_host=0,  # HostThrottle bounds each host; redirects may lead to other hosts
            resolver=GuardedResolver(guard),
            use_dns_cache=False,  # the guard pins each host's checked addresses itself
            ssl=httpx.create_ssl_context(),
            keepalive_timeout=KEEPALIVE_S,
        )
        session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False, auto_decompress=False
        )
        self.transport = AiohttpTransport(client=session)
        self.headers = {"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        self.timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s).as_dict()

    @asynccontextmanager
    async def get(self, url: str, headers: dict[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        """The response with its body not yet read (read it with `aiter_raw`); closed on exit."""
        request = httpx.Request(
            "GET",
            url,
            headers={**self.headers, **headers} if headers else self.headers,
            extensions={"timeout": self.timeout},
        )
        response = await self.transport.handle_async_request(request)
        try:
            yield response
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()
