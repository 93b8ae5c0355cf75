"""The httpx client the fetcher uses, on an aiohttp transport (httpx's own pool collapses at high concurrency).

The aiohttp connector resolves host names through the UrlGuard, so it connects only to checked addresses.
"""

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from content_pipeline.fetch.body_decoder import ACCEPT_ENCODING
from content_pipeline.fetch.guarded_resolver import GuardedResolver
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_guard import UrlGuard

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KEEPALIVE_S = 15.0


def open_client(settings: FetchSettings, guard: UrlGuard) -> httpx.AsyncClient:
    """An AsyncClient that never follows redirects itself, keeps no cookies and ignores proxy variables."""
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
    return httpx.AsyncClient(
        transport=AiohttpTransport(client=session),
        timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
    )
