"""Fetch misbehaving paths in one batch beside a good page, as a user's list mixes them."""

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.fetch.settings import FetchSettings
from tests.fakes.misbehaving_site import PAGE, Site


def fetch_beside_ok(site: Site, paths: tuple[str, ...], settings: FetchSettings) -> dict[str, FetchResult]:
    """Fetch the paths together with /ok; checks that /ok came out fine at its first attempt, returns the others."""
    requests = [FetchRequest(path, site.url(path)) for path in (*paths, "/ok")]
    results = {r.record_id: r for r in HttpFetcher(settings).fetch_all(requests)}
    good = results.pop("/ok")
    assert good.status.value == "ok" and good.body == PAGE and good.attempts == 1
    return results
