"""The HTTP cache behaves the same on a SQLite file and on a shared PostgreSQL database: conditional requests from
stored validators, the journal of a partition, bodies kept once and dropped when nothing refers to them."""

import pytest
from sqlalchemy import func, select

from content_pipeline.fetch.http_cache import BODIES, JOURNAL, HttpCache
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.status import FetchStatus
from tests.core.fetch.test_incremental import CACHED, PARTITION
from tests.core.shared_cache.backends import location, postgres_database, postgres_server
from tests.fakes.misbehaving_site import Site

__all__ = ["location", "postgres_database", "postgres_server"]


def fetch(site: Site, paths: list[str], location: str, partition: str | None, close: bool) -> dict[str, FetchResult]:
    """One run, as a new worker would do it: its own HttpCache on the location."""
    cache = HttpCache(location)
    try:
        requests = [FetchRequest(path, site.url(path)) for path in paths]
        results = {r.record_id: r for r in HttpFetcher(CACHED, cache).fetch_all(requests, partition)}
        if close and partition is not None:
            cache.close_partition(partition)
        return results
    finally:
        cache.close()


def counts(location: str) -> tuple[int, int]:
    cache = HttpCache(location)
    try:
        with cache.engine.connect() as conn:
            bodies = conn.execute(select(func.count()).select_from(BODIES)).scalar_one()
            journal = conn.execute(select(func.count()).select_from(JOURNAL)).scalar_one()
        return int(bodies), int(journal)
    finally:
        cache.close()


def test_a_rerun_sends_conditional_requests_and_gets_the_stored_bodies_back(site: Site, location: str) -> None:
    paths = ["/versioned/same", "/dated/same", "/plain/no-validators"]
    first = fetch(site, paths, location, PARTITION, close=True)
    assert {r.status for r in first.values()} == {FetchStatus.OK}
    assert counts(location) == (2, 0)  # the two validated bodies; the closed partition's journal is gone
    second = fetch(site, paths, location, PARTITION, close=True)
    for path in ("/versioned/same", "/dated/same"):
        assert second[path].cache == "not_modified" and second[path].body == first[path].body
    assert site.log.seen("/versioned/same")[1].headers["if-none-match"] == '"v1"'
    assert second["/plain/no-validators"].cache is None


def test_a_partition_left_open_is_resumed_from_its_journal_without_fetching(site: Site, location: str) -> None:
    paths = ["/ok", "/plain/no-validators"]
    first = fetch(site, paths, location, PARTITION, close=False)
    again = fetch(site, paths, location, PARTITION, close=False)
    assert {r.cache for r in again.values()} == {"journal"}
    assert {p: r.body for p, r in again.items()} == {p: r.body for p, r in first.items()}
    assert all(len(site.log.seen(path)) == 1 for path in paths)
    cache = HttpCache(location)
    try:
        assert set(cache.journal(PARTITION, ["/ok"])) == {"/ok"} and cache.journal("2000-01-01") == {}
        cache.close_partition(PARTITION)
        assert cache.journal(PARTITION) == {}
    finally:
        cache.close()
    assert counts(location)[1] == 0


@pytest.mark.parametrize("twice", [1, 2])
def test_one_body_is_stored_once_whatever_refers_to_it(location: str, twice: int) -> None:
    body = b"<html>the same page</html>"
    results = [
        FetchResult(f"r{i}", f"https://example.org/{i}", FetchStatus.OK, http_status=200, etag='"e"', body=body)
        for i in range(3)
    ]
    cache = HttpCache(location)
    try:
        for _ in range(twice):
            cache.store([(r, PARTITION) for r in results])
        assert cache.stored("https://example.org/1") is not None
        assert counts(location) == (1, 3)
        cache.close_partition(PARTITION)
        assert counts(location) == (1, 0)  # still referred to by the validators
        stored = cache.stored("https://example.org/2")
        assert stored is not None and stored.body == body and stored.etag == '"e"'
        assert type(stored.body) is bytes  # not a memoryview, which compares equal but has no decode()
    finally:
        cache.close()
