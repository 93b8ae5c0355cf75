"""Allowlist entries with a port exempt only that port of that host or address; bad entries are refused up front."""

import asyncio
import ipaddress
from collections.abc import Iterator

import pytest

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_allowlist import AllowEntry, parse_allow_entry
from content_pipeline.fetch.url_guard import BlockedUrlError, IpAddress, UrlGuard
from tests.core.fetch.conftest import NetworkJail
from tests.fakes.misbehaving_site import PAGE, Site, StartSite


@pytest.mark.parametrize(
    ("entry", "parsed"),
    [
        ("127.0.0.1:18080", AllowEntry(network=ipaddress.ip_network("127.0.0.1/32"), port=18080)),
        ("[::1]:8080", AllowEntry(network=ipaddress.ip_network("::1/128"), port=8080)),
        ("[::1]", AllowEntry(network=ipaddress.ip_network("::1/128"))),
        ("::1", AllowEntry(network=ipaddress.ip_network("::1/128"))),
        ("Intranet.Local.:8443", AllowEntry(host="intranet.local", port=8443)),
        ("intranet.local", AllowEntry(host="intranet.local")),
        (" 10.0.0.0/8 ", AllowEntry(network=ipaddress.ip_network("10.0.0.0/8"))),
        ("192.168.1.7/24:80", AllowEntry(network=ipaddress.ip_network("192.168.1.0/24"), port=80)),
    ],
)
def test_hosts_addresses_and_networks_are_read_with_or_without_a_port(entry: str, parsed: AllowEntry) -> None:
    assert parse_allow_entry(entry) == parsed


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("http://x", "a URL is not an entry"),
        ("1.2.3.4:99999", "port '99999' is not a number from 1 to 65535"),
        ("host:0", "port '0' is not a number from 1 to 65535"),
        ("host:", "port '' is not a number from 1 to 65535"),
        ("a b", "'a b' is not a valid host name"),
        ("10.0.0.0/33", "'10.0.0.0/33' is not a valid CIDR network"),
        ("[127.0.0.1]:80", "only an IPv6 address or network goes in brackets"),
        ("300.1.1.1", "'300.1.1.1' is not a valid IP address"),
        ("", "it is empty"),
    ],
)
def test_an_entry_that_is_none_of_these_is_refused_naming_the_entry(entry: str, why: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_allow_entry(entry)
    assert str(refused.value).startswith(f"entry {entry!r}: {why}; write a host name, IP address or CIDR network")


def test_a_fetcher_given_a_bad_entry_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="entry 'a b'"):
        HttpFetcher(FetchSettings(allow_private=("127.0.0.1", "a b"))).fetch_all([])


def check(guard: UrlGuard, url: str) -> str:
    """The reason the guard blocks `url`, or "ok"."""
    try:
        asyncio.run(guard.check(url))
    except BlockedUrlError as exc:
        return str(exc)
    return "ok"


def test_an_address_with_a_port_is_allowed_on_that_port_only() -> None:
    guard = UrlGuard(["127.0.0.1:8080", "[::1]:8443"])
    assert check(guard, "http://127.0.0.1:8080/x") == "ok"
    assert check(guard, "http://[::1]:8443/x") == "ok"
    assert check(guard, "http://127.0.0.1:8081/x") == "127.0.0.1 is not a public address"
    assert check(guard, "http://127.0.0.1/x") == "127.0.0.1 is not a public address"  # port 80
    assert check(guard, "https://[::1]/x") == "::1 is not a public address"
    assert check(guard, "http://127.0.0.2:8080/x") == "127.0.0.2 is not a public address"


def test_a_host_name_with_a_port_is_allowed_on_that_port_only() -> None:
    async def intranet(host: str, port: int) -> list[IpAddress]:
        return [ipaddress.ip_address("10.1.2.3")]

    guard = UrlGuard(["intranet.test:8080"], lookup=intranet)
    assert check(guard, "http://intranet.test:8080/x") == "ok"
    assert check(guard, "http://INTRANET.test.:8080/x") == "ok"
    blocked = "intranet.test resolves to 10.1.2.3, which is not a public address"
    assert check(guard, "http://intranet.test:9090/x") == blocked


@pytest.fixture
def two_ports(start_site: StartSite) -> Iterator[tuple[Site, Site]]:
    """An allowed site and a canary on another port of the same address: a private service nobody may reach."""
    yield start_site(host="127.0.0.1"), start_site(host="127.0.0.1")


def fetch(settings: FetchSettings, *requests: FetchRequest) -> dict[str, FetchResult]:
    return {r.record_id: r for r in HttpFetcher(settings).fetch_all(list(requests))}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_allowed_port_is_fetched_and_a_redirect_to_another_port_of_the_same_host_is_blocked(
    two_ports: tuple[Site, Site], network_jail: NetworkJail, host: str
) -> None:
    allowed, canary = two_ports
    settings = FetchSettings(allow_private=(f"{host}:{allowed.port}",), max_attempts=1, per_host_rate=0)
    base = f"http://{host}:{allowed.port}"
    elsewhere = f"http://{host}:{canary.port}/ok"
    results = fetch(
        settings,
        FetchRequest("allowed", f"{base}/ok"),
        FetchRequest("redirected", f"{base}/redirect/a?to={elsewhere}"),
        FetchRequest("direct", elsewhere),
    )
    assert results["allowed"].status.value == "ok" and results["allowed"].body == PAGE
    for name in ("redirected", "direct"):
        assert results[name].status.value == "blocked", results[name].reason
        assert "not a public address" in results[name].reason
    assert allowed.log.count("/redirect/a") == 1
    assert canary.log.total() == 0
    assert [port for _, port in network_jail.attempted] == [allowed.port] * len(network_jail.attempted)
