import asyncio
import ipaddress

import pytest

from content_pipeline.fetch.url_guard import BlockedUrlError, UrlGuard


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://100.64.0.1/",  # CGNAT: neither private nor global
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",  # IPv4-mapped IPv6
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "ftp://8.8.8.8/",
    ],
)
def test_non_public_addresses_and_other_schemes_are_blocked(url: str) -> None:
    with pytest.raises(BlockedUrlError):
        asyncio.run(UrlGuard().check(url))


def test_public_addresses_pass_and_the_allowlist_opens_only_what_it_names() -> None:
    asyncio.run(UrlGuard().check("http://8.8.8.8/"))
    guard = UrlGuard(["127.0.0.1", "10.0.0.0/8", "intranet.local"])
    asyncio.run(guard.check("http://127.0.0.1:8080/x"))
    asyncio.run(guard.check("http://10.20.30.40/"))
    asyncio.run(guard.check("http://intranet.local/"))
    assert not guard.is_allowed_address(ipaddress.ip_address("192.168.1.1"))
    with pytest.raises(BlockedUrlError):
        asyncio.run(guard.check("http://127.0.0.2/"))
