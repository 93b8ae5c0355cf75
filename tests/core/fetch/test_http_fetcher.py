from collections.abc import Iterator

import pytest

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from tests.fakes.misbehaving_site import serve_misbehaving_site

LIMITED = FetchSettings(allow_private=("127.0.0.1",), read_timeout_s=1.0, total_timeout_s=5.0, max_body_bytes=100_000)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve_misbehaving_site() as base_url:
        yield base_url


def fetch(site: str, *paths: str, settings: FetchSettings = LIMITED) -> dict[str, FetchResult]:
    requests = [FetchRequest(path, site + path) for path in paths]
    return {r.record_id: r for r in HttpFetcher(settings).fetch_all(requests)}


def test_each_misbehaving_url_gets_its_own_status_and_the_good_ones_are_fetched(site: str) -> None:
    results = fetch(site, "/ok", "/missing", "/slow-body", "/big", "/gzip-bomb", "/loop", "/to-private", "/hop")
    assert {path: r.status.value for path, r in results.items()} == {
        "/ok": "ok",
        "/missing": "http_error",
        "/slow-body": "timeout",
        "/big": "too_large",
        "/gzip-bomb": "too_large",
        "/loop": "too_many_redirects",
        "/to-private": "blocked",
        "/hop": "ok",
    }
    assert results["/ok"].body is not None and b"hello" in results["/ok"].body
    assert results["/ok"].etag == '"v1"' and results["/ok"].content_type == "text/html"
    assert results["/missing"].reason == "HTTP 404 Not Found" and results["/missing"].body is None
    assert "169.254.169.254" in results["/to-private"].reason
    assert results["/hop"].final_url == site + "/ok" and results["/hop"].redirects == 1


def test_a_gzip_bomb_is_measured_on_decoded_bytes_and_dropped(site: str) -> None:
    result = fetch(site, "/gzip-bomb")["/gzip-bomb"]
    assert result.status.value == "too_large" and result.body is None
    assert result.bytes > LIMITED.max_body_bytes  # the wire carried ~5 KB; the limit applies to what it decodes to


def test_loopback_is_blocked_unless_allowed(site: str) -> None:
    port = site.rsplit(":", 1)[1]
    closed = FetchSettings()
    results = HttpFetcher(closed).fetch_all(
        [FetchRequest("ip", f"{site}/ok"), FetchRequest("name", f"http://localhost:{port}/ok")]
    )
    assert [r.status.value for r in results] == ["blocked", "blocked"]
    assert "not a public address" in results[1].reason


def test_charset_from_the_header_is_recorded(site: str) -> None:
    result = fetch(site, "/latin1")["/latin1"]
    # the header's ISO-8859-1, read as browsers read it (windows-1252, a superset), and where that came from
    assert (result.charset, result.charset_source) == ("cp1252", "header")
    assert result.declared_type == "text/html"
    assert result.body is not None and result.body.decode("latin-1").endswith("café crème</body></html>")


def test_an_unreadable_url_is_an_invalid_url_record_not_a_crash(site: str) -> None:
    results = HttpFetcher(LIMITED).fetch_all([FetchRequest("bad", "http://[::1/x"), FetchRequest("ok", f"{site}/ok")])
    assert [(r.status.value, r.reason.startswith("unreadable URL")) for r in results] == [
        ("invalid_url", True),
        ("ok", False),
    ]
