"""An aiohttp resolver that connects only to the addresses the UrlGuard checked (DNS pinning)."""

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from content_pipeline.fetch.url_guard import BlockedUrlError, UnresolvableHostError, UrlGuard


class BlockedAddressError(BlockedUrlError, OSError):
    """Raised inside the connector; an OSError so aiohttp wraps it as a connection error we can recognise."""


class GuardedResolver(AbstractResolver):
    def __init__(self, guard: UrlGuard) -> None:
        self.guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            addresses = await self.guard.addresses(host, port)
        except BlockedUrlError as exc:
            raise BlockedAddressError(str(exc)) from exc
        except UnresolvableHostError as exc:
            raise OSError(str(exc)) from exc
        results: list[ResolveResult] = []
        for address in addresses:
            address_family = socket.AF_INET if address.version == 4 else socket.AF_INET6
            if family not in (socket.AF_UNSPEC, address_family):
                continue
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=port,
                    family=address_family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise OSError(f"{host} has no address of the requested family")
        return results

    async def close(self) -> None:
        pass
