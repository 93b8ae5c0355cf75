"""The AI cache behaves the same on a SQLite file and on a shared PostgreSQL database, claims included."""

import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from content_pipeline.cache_store.location import DatabaseUrl
from content_pipeline.categorize.ai_cache import AiCache
from content_pipeline.categorize.cached_provider import CachedProvider
from content_pipeline.categorize.models import Categorization
from tests.core.shared_cache.answers import CountingProvider, documents

TAXONOMY = "tax-1"
DOCS = documents(5)


@pytest.fixture
def cache(location: str) -> Iterator[AiCache]:
    opened = AiCache(location)
    yield opened
    opened.close()


def test_a_second_run_asks_nothing_and_gets_the_same_answers_for_free(cache: AiCache) -> None:
    inner = CountingProvider()
    first = CachedProvider(inner, cache, TAXONOMY).categorize(DOCS)
    second = CachedProvider(inner, cache, TAXONOMY).categorize(DOCS)
    assert inner.asked == [d.record_id for d in DOCS]
    assert [r.cache for r in first] == ["miss"] * 5 and [r.cache for r in second] == ["hit"] * 5
    assert [(r.category, r.summary, r.entities) for r in second] == [(r.category, r.summary, r.entities) for r in first]
    assert {(r.tokens_in, r.cost_usd) for r in second} == {(0, 0.0)}
    assert len(cache) == 5


def test_an_error_is_not_kept_and_its_claim_is_released(cache: AiCache) -> None:
    flaky = CountingProvider(fail={DOCS[1].title})
    first = CachedProvider(flaky, cache, TAXONOMY).categorize(DOCS)
    assert [r.status for r in first] == ["ok", "error", "ok", "ok", "ok"] and len(cache) == 4
    healed = CountingProvider()
    started = time.monotonic()
    second = CachedProvider(healed, cache, TAXONOMY).categorize(DOCS)
    assert time.monotonic() - started < 5  # no claim left behind to wait for
    assert healed.asked == [DOCS[1].record_id] and [r.cache for r in second].count("hit") == 4


def test_the_same_content_twice_in_one_call_is_asked_once(cache: AiCache) -> None:
    inner = CountingProvider()
    twin = replace(DOCS[0], record_id="twin", url="https://mirror.org/0")
    results = CachedProvider(inner, cache, TAXONOMY).categorize([DOCS[0], twin])
    assert inner.asked == [DOCS[0].record_id]
    assert [(r.record_id, r.cache) for r in results] == [(DOCS[0].record_id, "miss"), ("twin", "hit")]


def test_answers_survive_reopening_the_cache(location: str) -> None:
    first = AiCache(location)
    CachedProvider(CountingProvider(), first, TAXONOMY).categorize(DOCS)
    first.close()
    again = AiCache(location)
    inner = CountingProvider()
    assert {r.cache for r in CachedProvider(inner, again, TAXONOMY).categorize(DOCS)} == {"hit"}
    assert inner.asked == []
    again.close()


def test_no_claim_is_left_behind_after_a_call(cache: AiCache) -> None:
    CachedProvider(CountingProvider(fail={DOCS[2].title}), cache, TAXONOMY).categorize(DOCS)
    assert cache.claims.claim("someone else", ["any key"]) == {"any key"}
    with cache.engine.connect() as conn:
        owners = {owner for (owner,) in conn.exec_driver_sql("SELECT owner FROM answer_claims")}
    assert owners == {"someone else"}


def test_a_claimed_key_is_won_by_one_owner_only_until_released(cache: AiCache) -> None:
    keys = ["k1", "k2", "k3"]
    assert cache.claims.claim("a", keys[:2]) == {"k1", "k2"}
    assert cache.claims.claim("b", keys) == {"k3"}  # a holds k1 and k2
    assert cache.claims.claim("a", keys) == {"k1", "k2"}  # its own, still
    cache.claims.release_all("a")
    assert cache.claims.claim("b", keys) == set(keys)


def test_an_expired_claim_is_taken_over_and_a_renewed_one_is_not(location: str) -> None:
    short = AiCache(location, lease_s=0.3)
    try:
        assert short.claims.claim("dead", ["k1"]) == {"k1"}
        assert short.claims.claim("alive", ["k2"]) == {"k2"}
        for _ in range(4):
            time.sleep(0.1)
            short.claims.renew("alive")
        assert short.claims.claim("newcomer", ["k1", "k2"]) == {"k1"}
    finally:
        short.close()


def test_a_worker_waits_for_the_answer_another_is_asking_for_and_pays_nothing(location: str) -> None:
    first_cache, second_cache = AiCache(location), AiCache(location)
    slow = CountingProvider(delay_s=0.2)
    quick = CountingProvider()
    results: dict[str, list[Categorization]] = {}
    try:
        asking = threading.Thread(
            target=lambda: results.update(first=CachedProvider(slow, first_cache, TAXONOMY).categorize(DOCS))
        )
        asking.start()
        while not slow.asked:  # the first worker holds its claims and is asking
            time.sleep(0.01)
        second = CachedProvider(quick, second_cache, TAXONOMY, poll_s=0.05).categorize(DOCS)
        asking.join()
    finally:
        first_cache.close()
        second_cache.close()
    assert quick.asked == [] and slow.asked == [d.record_id for d in DOCS]
    assert [r.cache for r in second] == ["hit"] * 5 and {r.cost_usd for r in second} == {0.0}
    assert [r.summary for r in second] == [r.summary for r in results["first"]]


def test_a_worker_that_waited_too_long_asks_itself(cache: AiCache) -> None:
    keys = [CachedProvider(CountingProvider(), cache, TAXONOMY).key(doc) for doc in DOCS[:2]]
    assert cache.claims.claim("hung worker", keys) == set(keys)  # held, renewed by nobody, within its lease
    inner = CountingProvider()
    started = time.monotonic()
    results = CachedProvider(inner, cache, TAXONOMY, poll_s=0.05, wait_s=0.3).categorize(DOCS[:2])
    assert 0.3 <= time.monotonic() - started < 5
    assert inner.asked == [DOCS[0].record_id, DOCS[1].record_id] and {r.status for r in results} == {"ok"}


def test_a_database_url_is_shared_and_a_path_is_not(cache: AiCache, location: str) -> None:
    assert cache.shared == location.startswith("postgresql://")
    if cache.shared:
        assert isinstance(cache.location, DatabaseUrl) and cache.location.url.drivername == "postgresql+psycopg2"
        assert str(cache.location.url.password) not in repr(cache.location)
