"""SSRF guard: a URL may be fetched only when its host resolves to globally routable addresses.

The addresses checked for a host are pinned for the fetcher's lifetime: the connection is made to exactly those
addresses (see `guarded_resolver`), so a DNS answer that changes after the check (DNS rebinding) is never used.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from content_pipeline.fetch.url_allowlist import Allowlist, IpAddress

Lookup = Callable[[str, int], Awaitable[list[IpAddress]]]


class BlockedUrlError(Exception):
    """The URL points somewhere the fetcher must not go (non-http scheme, private or local address)."""


class UnresolvableHostError(Exception):
    """The URL's host name does not resolve."""


class UrlGuard:
    """Checks every URL (and every redirect hop) before it is requested, and remembers what it checked.

    `allow_private` entries (see url_allowlist) exempt hosts, addresses or networks, on every port or on one;
    a bad entry raises ValueError here, before any request.
    """

    def __init__(self, allow_private: Iterable[str] = (), lookup: Lookup | None = None) -> None:
        self.allowlist = Allowlist(allow_private)
        self.lookup: Lookup = lookup or system_lookup
        self.pinned: dict[str, asyncio.Task[list[IpAddress]]] = {}  # host -> its addresses, resolved once
        self.refusals: dict[tuple[str, int], str | None] = {}  # (host, port) -> why it is blocked, None if not

    def is_allowed_address(self, address: IpAddress, port: int | None = None) -> bool:
        """A public address, or one the allowlist exempts on every port or on `port`."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        public = address.is_global and not address.is_multicast  # is_global is True for most of 224.0.0.0/4
        return public or self.allowlist.allows_address(address, port)

    async def check(self, url: str) -> None:
        """Raise BlockedUrlError or UnresolvableHostError unless `url` may be fetched."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BlockedUrlError(f"scheme '{parts.scheme}:' is not http or https")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise BlockedUrlError("no host name")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if self.allowlist.allows_host(host, port):
            return  # resolved (unchecked) when the connection is made
        await self.addresses(host, port)

    async def addresses(self, host: str, port: int) -> list[IpAddress]:
        """The addresses of `host`, resolved once and then pinned; raises unless every one may be reached on `port`.

        The connector calls this for every connection it opens, so the port is checked there too.
        """
        host = host.lower().rstrip(".")
        task = self.pinned.get(host)
        if task is None:
            task = self.pinned[host] = asyncio.ensure_future(self.lookup(host, port))
        try:
            # most calls find the lookup done: its result is read as it is, without a shield per call
            addresses = task.result() if task.done() else await asyncio.shield(task)
        except UnresolvableHostError:
            self.pinned.pop(host, None)  # a failed lookup is not pinned: a retry asks DNS again
            raise
        key = (host, port)
        if key not in self.refusals:
            self.refusals[key] = self.refusal(host, port, addresses)
        if (refusal := self.refusals[key]) is not None:
            raise BlockedUrlError(refusal)
        return addresses

    def refusal(self, host: str, port: int, addresses: list[IpAddress]) -> str | None:
        """Why `host` on `port` may not be reached, or None when it may."""
        if self.allowlist.allows_host(host, port):
            return None
        for address in addresses:
            if not self.is_allowed_address(address, port):
                where = f"{host} resolves to {address}, which" if host != str(address) else f"{address}"
                return f"{where} is not a public address"
        return None


async def system_lookup(host: str, port: int) -> list[IpAddress]:
    """All addresses a host name (or IP literal) resolves to, from the system resolver."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHostError(f"DNS lookup of {host} failed: {getattr(exc, 'strerror', exc)}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnresolvableHostError(f"DNS lookup of {host} returned no address")
    return list(dict.fromkeys(addresses))
