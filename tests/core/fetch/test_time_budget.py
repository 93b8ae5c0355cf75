"""A slow site costs at most one attempt's time per URL, and a host that keeps timing out is left alone."""

from dataclasses import replace

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from tests.core.fetch.batch import fetch_beside_ok
from tests.fakes.misbehaving_site import PAGE, Site, StartSite

BUDGETED = FetchSettings(
    allow_private=("127.0.0.1", "127.0.0.2"),
    max_attempts=5,
    backoff_initial_s=0.05,
    backoff_max_s=0.1,
    per_host_rate=0,
    read_timeout_s=0.4,
    total_timeout_s=1.0,
)


def fetch(site: Site, *paths: str, settings: FetchSettings = BUDGETED) -> dict[str, FetchResult]:
    return fetch_beside_ok(site, paths, settings)


def test_a_trickling_page_gets_one_attempt_and_the_reason_says_its_time_budget_is_spent(site: Site) -> None:
    # a byte every 50 ms never trips the read timeout: only the time budget ends it, and nothing is left to retry
    result = fetch(site, "/trickle/a")["/trickle/a"]
    assert result.status.value == "timeout" and result.body is None
    assert result.attempts == 1 and site.log.count("/trickle/a") == 1
    assert result.reason == "no complete response within 1 s; not retried: the URL's 1 s time budget is spent"


def test_a_stalling_page_is_retried_only_while_its_time_budget_lasts(site: Site) -> None:
    # each attempt stalls into the 0.4 s read timeout: at most 0.4 + 0.4 + the 0.2 s left fit into 1 s, not 5 tries
    result = fetch(site, "/stall/a")["/stall/a"]
    assert result.status.value == "timeout" and result.body is None
    assert 2 <= result.attempts <= 3 < BUDGETED.max_attempts
    assert site.log.count("/stall/a") == result.attempts
    assert f"gave up after {result.attempts} attempts: the URL's 1 s time budget is spent" in result.reason


def test_a_timeout_with_time_left_in_the_budget_is_retried_and_the_page_comes(site: Site) -> None:
    result = fetch(site, "/stall-first/1/a")["/stall-first/1/a"]
    assert result.status.value == "ok" and result.body == PAGE, result.reason
    assert result.attempts == 2 and site.log.count("/stall-first/1/a") == 2


def test_a_fast_503_is_retried_up_to_max_attempts_whatever_the_budget(site: Site) -> None:
    result = fetch(site, "/unavailable/a")["/unavailable/a"]
    assert result.status.value == "http_error" and result.http_status == 503
    assert result.attempts == BUDGETED.max_attempts == site.log.count("/unavailable/a")
    assert result.reason == "HTTP 503 Service Unavailable (gave up after 5 attempts)"


GIVING_UP = replace(BUDGETED, max_attempts=1, per_host_concurrency=1, give_up_host_after_timeouts=3)


def test_a_host_that_keeps_timing_out_is_given_up_and_its_other_urls_are_not_requested(
    start_site: StartSite,
) -> None:
    slow, other = start_site(host="127.0.0.1"), start_site(host="127.0.0.2")
    requests = [FetchRequest(f"stall {i}", slow.url(f"/stall/{i}")) for i in range(8)]
    requests.append(FetchRequest("other host", other.url("/ok")))
    results = HttpFetcher(GIVING_UP).fetch_all(requests)

    assert [r.status.value for r in results[:8]] == ["timeout"] * 8
    assert len(slow.log.starting_with("/stall/")) == 3  # one request at a time: the three in a row, then no more
    requested = [r for r in results[:8] if r.attempts == 1]
    skipped = [r for r in results[:8] if r.attempts == 0]
    assert len(requested) == 3 and len(skipped) == 5
    assert {r.reason for r in skipped} == {"not requested: 127.0.0.1 timed out 3 times in a row"}
    assert results[8].status.value == "ok" and results[8].body == PAGE


def test_answers_between_timeouts_keep_a_host_in_play(site: Site) -> None:
    paths = ["/stall/1", "/stall/2", "/plain/1", "/stall/3", "/stall/4", "/plain/2", "/stall/5", "/plain/3"]
    results = HttpFetcher(GIVING_UP).fetch_all([FetchRequest(p, site.url(p)) for p in paths])
    assert [r.status.value for r in results] == ["timeout", "timeout", "ok"] * 2 + ["timeout", "ok"]
    assert all(r.attempts == 1 for r in results)
    assert all(site.log.count(p) == 1 for p in paths)
