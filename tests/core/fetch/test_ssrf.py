"""The SSRF guard end to end: private and local targets are blocked before any connection, and a host's checked
addresses are pinned, so a DNS answer that changes mid-run (DNS rebinding) is never used.

The site the batches start from listens on 127.0.0.2, the only address the settings allow; a canary on
127.0.0.1 stands for every private service that must never be reached. The network jail (conftest) records every
connect() the test process makes, so "never contacted" is checked on the sockets, not only on statuses.
"""

import ipaddress
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.url_guard import IpAddress, Lookup, UnresolvableHostError
from tests.core.fetch.conftest import NetworkJail
from tests.fakes.misbehaving_site import PAGE, Site, StartSite

GUARDED = FetchSettings(
    allow_private=("127.0.0.2",),
    max_attempts=1,
    connect_timeout_s=5.0,
    read_timeout_s=5.0,
    total_timeout_s=5.0,
    per_host_rate=0,
)


@dataclass
class Sites:
    allowed: Site  # 127.0.0.2: the only address the settings allow
    canary: Site  # 127.0.0.1, on the same port when it was free: a private service nobody may reach


@pytest.fixture
def sites(start_site: StartSite) -> Iterator[Sites]:
    for _ in range(20):  # the same port on both addresses, so that only the address tells them apart
        allowed = start_site(host="127.0.0.2")
        try:
            canary = start_site(host="127.0.0.1", port=allowed.port)
        except OSError:
            continue
        yield Sites(allowed, canary)
        return
    pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")


def fetch(
    requests: list[FetchRequest], settings: FetchSettings = GUARDED, lookup: Lookup | None = None
) -> dict[str, FetchResult]:
    return {r.record_id: r for r in HttpFetcher(settings, lookup=lookup).fetch_all(requests)}


def assert_only_connected_to(jail: NetworkJail, address: str) -> None:
    elsewhere = [(host, port) for host, port in jail.attempted if host != address]
    assert elsewhere == [], f"connections were attempted to {elsewhere}"


class Resolver:
    """A scripted DNS: answers per host name (the last answer repeats), IP literals as themselves; counts calls."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: Counter[str] = Counter()

    async def __call__(self, host: str, port: int) -> list[IpAddress]:
        self.calls[host] += 1
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        if host not in self.answers:
            raise UnresolvableHostError(f"{host} is not in the test's DNS")
        script = self.answers[host]
        answer = script[min(self.calls[host], len(script)) - 1]
        return [ipaddress.ip_address(a) for a in answer]


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.1/admin",
        "http://100.64.0.1/",  # carrier-grade NAT: neither private nor global
        "http://127.0.0.1:{canary}/ok",  # loopback, not in the allowlist
        "http://[::1]:{canary}/ok",
        "http://[::ffff:127.0.0.1]:{canary}/ok",  # loopback dressed as IPv6
        "http://0.0.0.0:{canary}/ok",
    ],
)
def test_a_redirect_to_a_private_address_is_blocked_before_any_connection(
    sites: Sites, network_jail: NetworkJail, target: str
) -> None:
    target = target.format(canary=sites.canary.port)
    redirect = f"/redirect/a?to={target}"
    results = fetch(
        [FetchRequest("redirect", sites.allowed.url(redirect)), FetchRequest("ok", sites.allowed.url("/ok"))]
    )
    assert results["redirect"].status.value == "blocked", results["redirect"].reason
    assert "not a public address" in results["redirect"].reason and results["redirect"].body is None
    assert results["ok"].status.value == "ok" and results["ok"].body == PAGE
    assert sites.allowed.log.count("/redirect/a") == 1
    assert sites.canary.log.total() == 0
    assert_only_connected_to(network_jail, "127.0.0.2")
    assert network_jail.looked_up == []  # IP literals are checked as they are, without asking DNS


def test_localhost_by_name_is_blocked_when_it_is_not_allowed(sites: Sites, network_jail: NetworkJail) -> None:
    results = fetch(
        [
            FetchRequest("localhost", f"http://localhost:{sites.canary.port}/ok"),
            FetchRequest("LOCALHOST.", f"http://LOCALHOST.:{sites.canary.port}/ok"),
            FetchRequest("ok", sites.allowed.url("/ok")),
        ]
    )
    for name in ("localhost", "LOCALHOST."):
        assert results[name].status.value == "blocked"
        assert "localhost resolves to" in results[name].reason and "not a public address" in results[name].reason
    assert results["ok"].status.value == "ok"
    assert sites.canary.log.total() == 0
    assert_only_connected_to(network_jail, "127.0.0.2")


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.2/file.txt", "file:///etc/passwd", "FILE:///etc/passwd", "gopher://127.0.0.2:70/", "data:,hello"],
)
def test_non_http_schemes_are_blocked(sites: Sites, network_jail: NetworkJail, url: str) -> None:
    results = fetch(
        [
            FetchRequest("direct", url),
            FetchRequest("redirected", sites.allowed.url(f"/redirect/a?to={url}")),
            FetchRequest("ok", sites.allowed.url("/ok")),
        ]
    )
    for name in ("direct", "redirected"):
        assert results[name].status.value == "blocked", results[name].reason
        assert "is not http or https" in results[name].reason and results[name].body is None
    assert results["ok"].status.value == "ok"
    assert_only_connected_to(network_jail, "127.0.0.2")


def test_a_host_that_rebinds_to_a_private_address_keeps_its_first_checked_address(
    sites: Sites, network_jail: NetworkJail
) -> None:
    dns = Resolver({"rebind.test": [["127.0.0.2"], ["127.0.0.1"]]})  # first answer allowed, every later one not
    base = f"http://rebind.test:{sites.allowed.port}"
    paths = ["/ok", "/plain/1", "/plain/2", "/plain/3", "/redirect/a?to=/plain/4", "/hop", "/slow/1", "/slow/2"]
    settings = replace(GUARDED, per_host_concurrency=8)  # several connections at once
    results = fetch([FetchRequest(p, base + p) for p in paths], settings, lookup=dns)
    assert {p: r.status.value for p, r in results.items()} == dict.fromkeys(paths, "ok"), {
        p: r.reason for p, r in results.items() if r.reason
    }
    assert results["/redirect/a?to=/plain/4"].final_url == base + "/plain/4"
    assert dns.calls["rebind.test"] == 1
    assert sites.canary.log.total() == 0
    assert sites.allowed.log.count("/plain/4") == 1 and sites.allowed.log.count("/robots.txt") == 1
    assert_only_connected_to(network_jail, "127.0.0.2")


def test_a_host_with_one_private_address_among_public_ones_is_blocked_before_any_connection(
    sites: Sites, network_jail: NetworkJail
) -> None:
    dns = Resolver({"mixed.test": [["8.8.8.8", "127.0.0.1"]], "mixed6.test": [["2001:4860:4860::8888", "::1"]]})
    port = sites.canary.port
    results = fetch(
        [
            FetchRequest("v4", f"http://mixed.test:{port}/ok"),
            FetchRequest("v6", f"http://mixed6.test:{port}/ok"),
            FetchRequest("redirected", sites.allowed.url(f"/redirect/a?to=http://mixed.test:{port}/ok")),
            FetchRequest("ok", sites.allowed.url("/ok")),
        ],
        lookup=dns,
    )
    for name in ("v4", "redirected"):
        assert results[name].status.value == "blocked"
        assert results[name].reason == "mixed.test resolves to 127.0.0.1, which is not a public address"
    assert results["v6"].status.value == "blocked" and "::1" in results["v6"].reason
    assert results["ok"].status.value == "ok"
    assert sites.canary.log.total() == 0
    assert_only_connected_to(network_jail, "127.0.0.2")  # neither 8.8.8.8 nor 127.0.0.1 was ever dialled


def test_the_network_jail_refuses_connections_outside_loopback(network_jail: NetworkJail) -> None:
    # The tests above rely on the jail to see (and stop) any connection a guard bug would let through.
    settings = FetchSettings(allow_private=("192.0.2.0/24",), respect_robots=False, max_attempts=1)
    results = fetch([FetchRequest("documentation address", "http://192.0.2.1/")], settings)
    assert results["documentation address"].status.value != "ok"
    assert network_jail.to("192.0.2.1") == [("192.0.2.1", 80)]
