"""SSRF guard: a URL may be fetched only when its host resolves to globally routable addresses.

The addresses checked for a host are pinned for the fetcher's lifetime: the connection is made to exactly those
addresses (see `guarded_resolver`), so a DNS answer that changes after the check (DNS rebinding) is never used.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Lookup = Callable[[str, int], Awaitable[list[IpAddress]]]


class BlockedUrlError(Exception):
    """The URL points somewhere the fetcher must not go (non-http scheme, private or local address)."""


class UnresolvableHostError(Exception):
    """The URL's host name does not resolve."""


class UrlGuard:
    """Checks every URL (and every redirect hop) before it is requested, and remembers what it checked."""

    def __init__(self, allow_private: Iterable[str] = (), lookup: Lookup | None = None) -> None:
        self.allowed_hosts: set[str] = set()
        self.allowed_networks: list[IpNetwork] = []
        for entry in allow_private:
            try:
                self.allowed_networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self.allowed_hosts.add(entry.strip().lower().rstrip("."))
        self.lookup: Lookup = lookup or system_lookup
        self.pinned: dict[str, asyncio.Task[list[IpAddress]]] = {}

    def is_allowed_address(self, address: IpAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        public = address.is_global and not address.is_multicast  # is_global is True for most of 224.0.0.0/4
        return public or any(address in net for net in self.allowed_networks)

    async def check(self, url: str) -> None:
        """Raise BlockedUrlError or UnresolvableHostError unless `url` may be fetched."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BlockedUrlError(f"scheme '{parts.scheme}:' is not http or https")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise BlockedUrlError("no host name")
        if host in self.allowed_hosts:
            return  # resolved (unchecked) when the connection is made
        await self.addresses(host, parts.port or (443 if parts.scheme == "https" else 80))

    async def addresses(self, host: str, port: int) -> list[IpAddress]:
        """The checked addresses of `host`, resolved once and then pinned; raises when any is not allowed."""
        host = host.lower().rstrip(".")
        task = self.pinned.get(host)
        if task is None:
            task = self.pinned[host] = asyncio.ensure_future(self.resolve_and_check(host, port))
        try:
            return await asyncio.shield(task)
        except UnresolvableHostError:
            self.pinned.pop(host, None)  # a failed lookup is not pinned: a retry asks DNS again
            raise

    async def resolve_and_check(self, host: str, port: int) -> list[IpAddress]:
        addresses = await self.lookup(host, port)
        if host in self.allowed_hosts:
            return addresses
        for address in addresses:
            if not self.is_allowed_address(address):
                where = f"{host} resolves to {address}, which" if host != str(address) else f"{address}"
                raise BlockedUrlError(f"{where} is not a public address")
        return addresses


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
