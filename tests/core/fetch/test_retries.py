"""Retries, Retry-After and per-host politeness, observed from the server's side of the wire."""

import socket
from dataclasses import replace

import pytest

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from tests.core.fetch.batch import fetch_beside_ok
from tests.fakes.misbehaving_site import PAGE, Site

RETRYING = FetchSettings(
    allow_private=("127.0.0.1",),
    max_attempts=3,
    backoff_initial_s=0.05,
    backoff_max_s=0.2,
    retry_after_max_s=5.0,
    per_host_rate=0,
    read_timeout_s=5.0,
    total_timeout_s=10.0,
)


def fetch(site: Site, *paths: str, settings: FetchSettings = RETRYING) -> dict[str, FetchResult]:
    return fetch_beside_ok(site, paths, settings)


def gap_between_requests(site: Site, path: str) -> float:
    first, second = site.log.times(path)
    return second - first


def test_a_503_then_200_is_fetched_on_the_second_attempt(site: Site) -> None:
    result = fetch(site, "/flaky/1/a")["/flaky/1/a"]
    assert result.status.value == "ok" and result.body == PAGE
    assert result.attempts == 2 and result.http_status == 200
    assert site.log.count("/flaky/1/a") == 2


def test_a_503_forever_gives_up_after_max_attempts_and_says_so(site: Site) -> None:
    result = fetch(site, "/unavailable/a")["/unavailable/a"]
    assert result.status.value == "http_error" and result.http_status == 503 and result.body is None
    assert result.attempts == RETRYING.max_attempts == 3
    assert "gave up after 3 attempts" in result.reason
    assert site.log.count("/unavailable/a") == 3


def test_a_429_with_retry_after_in_seconds_is_retried_after_that_long(site: Site) -> None:
    result = fetch(site, "/throttled/1/a")["/throttled/1/a"]
    assert result.status.value == "ok" and result.attempts == 2
    assert gap_between_requests(site, "/throttled/1/a") >= 0.95  # backoff alone would be 0.05-0.2 s


def test_a_429_with_retry_after_as_an_http_date_is_honored(site: Site) -> None:
    result = fetch(site, "/throttled-until/2/a")["/throttled-until/2/a"]  # a date 1-2 s ahead, whole seconds
    assert result.status.value == "ok" and result.attempts == 2
    assert gap_between_requests(site, "/throttled-until/2/a") >= 0.95


def test_a_retry_after_beyond_the_ceiling_is_not_waited_for(site: Site) -> None:
    result = fetch(site, "/throttled/3600/a")["/throttled/3600/a"]
    assert result.status.value == "http_error" and result.http_status == 429
    assert result.attempts == 1 and site.log.count("/throttled/3600/a") == 1
    assert result.retry_after_s == 3600
    assert "ceiling" in result.reason and "3600" in result.reason


def test_a_404_is_never_retried(site: Site) -> None:
    result = fetch(site, "/missing/a")["/missing/a"]
    assert result.status.value == "http_error" and result.reason == "HTTP 404 Not Found"
    assert result.attempts == 1 and site.log.count("/missing/a") == 1


@pytest.mark.parametrize("route", ["reset", "hangup"])  # a TCP RST, or the socket closed without an answer
def test_a_dropped_connection_is_retried(site: Site, route: str) -> None:
    # Two drops in a row: aiohttp itself silently resends an idempotent request once, so only the second drop
    # reaches the fetcher, which must try again.
    path = f"/{route}/2/a"
    result = fetch(site, path)[path]
    assert result.status.value == "ok" and result.body == PAGE
    assert result.attempts >= 2
    assert site.log.count(path) >= 3


@pytest.mark.parametrize("route", ["reset", "hangup"])
def test_a_connection_dropped_on_every_attempt_ends_as_a_connection_error_not_a_timeout(site: Site, route: str) -> None:
    path = f"/{route}/99/a"
    result = fetch(site, path)[path]
    assert result.status.value == "connection_error", f"{result.status.value}: {result.reason}"
    assert "timeout" not in result.reason.lower() and result.body is None
    assert result.attempts == 3 and "gave up after 3 attempts" in result.reason


def test_a_refused_connection_is_a_connection_error_not_a_timeout(site: Site) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    requests = [FetchRequest("refused", f"http://127.0.0.1:{closed_port}/ok"), FetchRequest("ok", site.url("/ok"))]
    results = {r.record_id: r for r in HttpFetcher(replace(RETRYING, respect_robots=False)).fetch_all(requests)}
    assert results["refused"].status.value == "connection_error", results["refused"].reason
    assert "refused" in results["refused"].reason.lower()
    assert results["refused"].attempts == 3  # retried: the server may be restarting
    assert results["ok"].status.value == "ok"


def test_per_host_rate_spreads_requests_to_one_host_over_time(site: Site) -> None:
    settings = replace(RETRYING, per_host_rate=5.0, per_host_concurrency=10)
    paths = [f"/plain/rate/{i}" for i in range(10)]
    fetch(site, *paths, settings=settings)
    arrivals = sorted(r.at for r in site.log.starting_with("/plain/rate/"))
    assert len(arrivals) == 10
    # 10 requests at 5 per second: at least ~1.8 s from the first to the last (1.5 s leaves room for jitter)
    assert arrivals[-1] - arrivals[0] >= 1.5, f"10 requests at 5/s arrived within {arrivals[-1] - arrivals[0]:.2f} s"


def test_no_more_than_per_host_concurrency_requests_are_in_flight_at_once(site: Site) -> None:
    settings = replace(RETRYING, per_host_concurrency=2, concurrency=10)
    results = fetch(site, *(f"/slow/{i}" for i in range(6)), settings=settings)
    assert all(r.status.value == "ok" for r in results.values())
    assert site.log.max_in_flight == 2


def test_a_503_with_an_unparsable_retry_after_is_still_an_http_error_and_retried(site: Site) -> None:
    result = fetch(site, "/flaky-odd-retry-after/1/a")["/flaky-odd-retry-after/1/a"]
    assert result.status.value == "ok", result.reason
    assert result.attempts == 2
