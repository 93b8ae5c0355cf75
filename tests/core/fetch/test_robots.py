"""robots.txt (RFC 9309): what it disallows is never requested, it is fetched once per origin, and its absence or
unavailability is read the way the RFC says. Each scenario serves its own origin, since rules are per origin."""

from collections.abc import Sequence
from dataclasses import replace

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from tests.fakes.misbehaving_site import PAGE, Site, StartSite

ROBOTS_TXT = """\
User-agent: *
Disallow: /

User-agent: content-pipeline
Disallow: /private
"""  # everything closed to other bots; only /private closed to us (so our product token must be matched)

POLITE = FetchSettings(
    allow_private=("127.0.0.1", "127.0.0.2"),
    max_attempts=1,
    per_host_rate=0,
    per_host_concurrency=8,
    read_timeout_s=5.0,
    total_timeout_s=10.0,
)


def fetch(requests: Sequence[FetchRequest], settings: FetchSettings = POLITE) -> dict[str, FetchResult]:
    return {r.record_id: r for r in HttpFetcher(settings).fetch_all(requests)}


def requests_for(site: Site, *paths: str) -> list[FetchRequest]:
    return [FetchRequest(path, site.url(path)) for path in paths]


def test_a_disallowed_path_ends_as_robots_and_is_never_requested(start_site: StartSite) -> None:
    site = start_site(robots_status=200, robots_body=ROBOTS_TXT)
    results = fetch(requests_for(site, "/private/x", "/public", "/ok"))
    assert results["/private/x"].status.value == "robots" and results["/private/x"].body is None
    assert "robots.txt" in results["/private/x"].reason and site.base_url in results["/private/x"].reason
    assert results["/public"].status.value == "ok" and results["/public"].body == PAGE
    assert results["/ok"].status.value == "ok"
    assert site.log.count("/private/x") == 0


def test_robots_txt_is_fetched_once_per_origin_however_many_urls(start_site: StartSite) -> None:
    site = start_site(robots_status=200, robots_body=ROBOTS_TXT)
    other = start_site(host="127.0.0.2", robots_status=200, robots_body=ROBOTS_TXT)
    paths = [f"/public/{i}" for i in range(20)] + [f"/private/{i}" for i in range(5)]
    results = fetch([*requests_for(site, *paths), FetchRequest("other", other.url("/ok"))])
    assert [results[p].status.value for p in paths] == ["ok"] * 20 + ["robots"] * 5
    assert results["other"].status.value == "ok"
    assert site.log.count("/robots.txt") == 1
    assert other.log.count("/robots.txt") == 1


def test_a_source_exempted_from_robots_is_fetched_anyway(start_site: StartSite) -> None:
    site = start_site(robots_status=200, robots_body=ROBOTS_TXT)
    results = fetch(
        [
            FetchRequest("exempt", site.url("/private/x"), respect_robots=False),
            FetchRequest("not exempt", site.url("/private/y")),
            FetchRequest("ok", site.url("/ok")),
        ]
    )
    assert results["exempt"].status.value == "ok" and results["exempt"].body == PAGE
    assert results["not exempt"].status.value == "robots"
    assert results["ok"].status.value == "ok"
    assert site.log.count("/private/x") == 1 and site.log.count("/private/y") == 0


def test_with_robots_turned_off_in_the_settings_robots_txt_is_not_even_read(start_site: StartSite) -> None:
    site = start_site(robots_status=200, robots_body=ROBOTS_TXT)
    results = fetch(requests_for(site, "/private/x", "/ok"), replace(POLITE, respect_robots=False))
    assert results["/private/x"].status.value == "ok" and results["/ok"].status.value == "ok"
    assert site.log.count("/robots.txt") == 0


def test_a_missing_robots_txt_allows_everything(start_site: StartSite) -> None:
    site = start_site(robots_status=404, robots_body="not found")
    results = fetch(requests_for(site, "/private/x", "/ok"))
    assert results["/private/x"].status.value == "ok" and results["/ok"].status.value == "ok"
    assert site.log.count("/robots.txt") == 1


def test_an_unavailable_robots_txt_closes_its_origin_and_only_that_one(start_site: StartSite) -> None:
    closed = start_site(robots_status=503, robots_body=ROBOTS_TXT)
    open_site = start_site(host="127.0.0.2")
    results = fetch([*requests_for(closed, "/public", "/ok"), FetchRequest("elsewhere", open_site.url("/ok"))])
    for path in ("/public", "/ok"):
        assert results[path].status.value == "robots"
        assert "unreachable" in results[path].reason and "503" in results[path].reason
    assert results["elsewhere"].status.value == "ok"
    assert closed.log.count("/public") == closed.log.count("/ok") == 0


def test_a_redirect_to_a_disallowed_path_ends_as_robots(start_site: StartSite) -> None:
    site = start_site(robots_status=200, robots_body=ROBOTS_TXT)
    results = fetch(requests_for(site, "/redirect/a?to=/private/y", "/ok"))
    assert results["/redirect/a?to=/private/y"].status.value == "robots"
    assert "robots.txt" in results["/redirect/a?to=/private/y"].reason
    assert results["/ok"].status.value == "ok"
    assert site.log.count("/redirect/a") == 1 and site.log.count("/private/y") == 0


def test_a_redirect_to_another_origin_obeys_that_origins_robots_txt(start_site: StartSite) -> None:
    start = start_site(robots_status=404)
    target = start_site(host="127.0.0.2", robots_status=200, robots_body=ROBOTS_TXT)
    to_private, to_public = f"/redirect/a?to={target.url('/private/z')}", f"/redirect/b?to={target.url('/public')}"
    results = fetch(requests_for(start, to_private, to_public, "/ok"))
    assert results[to_private].status.value == "robots" and target.base_url in results[to_private].reason
    assert results[to_public].status.value == "ok" and results[to_public].final_url == target.url("/public")
    assert results["/ok"].status.value == "ok"
    assert target.log.count("/private/z") == 0 and target.log.count("/robots.txt") == 1


def test_a_redirect_to_another_origin_is_followed_even_with_a_concurrency_of_one(start_site: StartSite) -> None:
    # The new origin's robots.txt has to be fetched in the middle of the redirected request; it must not wait for
    # the request slot that the redirected request itself holds.
    start = start_site()
    target = start_site(host="127.0.0.2")
    to_target = f"/redirect/a?to={target.url('/public')}"
    results = fetch(requests_for(start, to_target, "/ok"), replace(POLITE, concurrency=1, total_timeout_s=2.0))
    assert results[to_target].status.value == "ok", results[to_target].reason
    assert results["/ok"].status.value == "ok"
