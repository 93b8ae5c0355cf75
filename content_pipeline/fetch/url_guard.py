"""SSRF guard: a URL may be fetched only when its host resolves to globally routable addresses."""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedUrlError(Exception):
    """The URL points somewhere the fetcher must not go (non-http scheme, private or local address)."""


class UnresolvableHostError(Exception):
    """The URL's host name does not resolve."""


class UrlGuard:
    """Checks every URL (and every redirect hop) before it is requested."""

    def __init__(self, allow_private: Iterable[str] = ()) -> None:
        self.allowed_hosts: set[str] = set()
        self.allowed_networks: list[IpNetwork] = []
        for entry in allow_private:
            try:
                self.allowed_networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self.allowed_hosts.add(entry.strip().lower().rstrip("."))

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
            return
        for address in await resolve(host, parts.port or (443 if parts.scheme == "https" else 80)):
            if not self.is_allowed_address(address):
                where = f"{host} resolves to {address}, which" if host != str(address) else f"{address}"
                raise BlockedUrlError(f"{where} is not a public address")


async def resolve(host: str, port: int) -> list[IpAddress]:
    """All addresses a host name (or IP literal) resolves to."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnresolvableHostError(f"DNS lookup of {host} failed: {exc.strerror}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
