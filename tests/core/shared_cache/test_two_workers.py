"""Two real processes categorizing the same documents at the same time against one cache pay once per answer; a
worker killed while holding claims blocks the others only until its lease runs out."""

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from content_pipeline.categorize.ai_cache import AiCache
from content_pipeline.categorize.cached_provider import CachedProvider
from tests.core.shared_cache.answers import CountingProvider, documents
from tests.core.shared_cache.workers import TAXONOMY, categorize_worker, claim_and_die

SPAWN = multiprocessing.get_context("spawn")
DOCUMENTS = 120


def test_two_processes_racing_on_the_same_documents_call_the_provider_once_per_document(location: str) -> None:
    start = SPAWN.Manager().Event()  # a proxy that the spawned workers can wait on
    with ProcessPoolExecutor(2, mp_context=SPAWN) as pool:
        futures = [pool.submit(categorize_worker, location, DOCUMENTS, start) for _ in range(2)]  # type: ignore[arg-type]
        time.sleep(3)  # both interpreters up and waiting (a late one would only find answers stored: no race)
        start.set()
        first, second = (f.result(timeout=120) for f in futures)
    assert first.started < second.ended and second.started < first.ended  # they ran at the same time
    assert sorted(first.asked + second.asked) == sorted(d.record_id for d in documents(DOCUMENTS))  # 0 duplicates
    assert [a[:3] for a in first.answers] == [b[:3] for b in second.answers]  # same answers, from the same process
    assert len({a[2] for a in first.answers}) == 1
    caches = [a[3] for a in first.answers + second.answers]
    assert caches.count("miss") == DOCUMENTS and caches.count("hit") == DOCUMENTS


def test_the_claims_of_a_killed_worker_hold_only_until_their_lease_runs_out(location: str) -> None:
    lease_s = 3.0
    docs = documents(3)
    cache = AiCache(location)
    keys = [CachedProvider(CountingProvider(), cache, TAXONOMY).key(doc) for doc in docs]
    dying = SPAWN.Process(target=claim_and_die, args=(location, keys, lease_s))
    dying.start()
    dying.join(60)
    assert dying.exitcode == -9
    with cache.engine.connect() as conn:
        claimed: dict[str, float] = dict(conn.exec_driver_sql("SELECT key, expires_at FROM answer_claims").all())
    assert set(claimed) == set(keys) and time.time() < min(claimed.values())  # still held when we start
    inner = CountingProvider()
    try:
        results = CachedProvider(inner, cache, TAXONOMY, poll_s=0.05).categorize(docs)
    finally:
        cache.close()
    assert time.time() >= max(claimed.values())  # it waited for the dead worker's lease to run out, then asked
    assert inner.asked == [d.record_id for d in docs] and [r.status for r in results] == ["ok"] * 3
