"""Fixtures for the fetcher's tests: misbehaving sites on loopback, and a jail that keeps every test off the network.

The jail records every outgoing connection the test process attempts and refuses any that is not to a loopback
address; host names other than `localhost` do not resolve through the system (tests inject a `lookup` instead).
So a fetcher bug can make a test fail, but never make it touch the internet or a cloud metadata address.
"""

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.fakes.misbehaving_site import Site, StartSite, serve_site


@dataclass
class NetworkJail:
    attempted: list[tuple[str, int]] = field(default_factory=list)  # (address, port) of every connect()
    looked_up: list[str] = field(default_factory=list)  # every host name or address given to getaddrinfo

    def to(self, host: str, port: int | None = None) -> list[tuple[str, int]]:
        """The connections attempted to `host` (and `port`, when given)."""
        return [(h, p) for h, p in self.attempted if h == host and port in (None, p)]


@pytest.fixture(autouse=True)
def network_jail(monkeypatch: pytest.MonkeyPatch) -> NetworkJail:
    jail = NetworkJail()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        if not isinstance(address, tuple):
            return  # a Unix socket path
        host, port = str(address[0]).split("%")[0], int(address[1])
        jail.attempted.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            raise ConnectionRefusedError(f"test network jail: no connection to {host}:{port} outside loopback")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        jail.looked_up.append(str(name))
        if name is not None and name.lower() != "localhost":
            try:
                ipaddress.ip_address(str(name).strip("[]").split("%")[0])
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"test network jail: no DNS for {name}") from None
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return jail


@pytest.fixture
def start_site() -> Iterator[StartSite]:
    """Start misbehaving sites (host, port, robots_status, robots_body as in `serve_site`); all stop after the test."""
    with ExitStack() as stack:

        def start(*args: Any, **kwargs: Any) -> Site:
            return stack.enter_context(serve_site(*args, **kwargs))

        yield start


@pytest.fixture
def site(start_site: StartSite) -> Site:
    """A fresh misbehaving site on 127.0.0.1 for one test, so its request counts belong to that test alone."""
    return start_site()
