"""What the spawned worker processes of test_two_workers.py and test_vision_claims.py run (importable: spawn
starts a fresh interpreter)."""

import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event

from content_pipeline.categorize.ai_cache import AiCache
from content_pipeline.categorize.cached_provider import CachedProvider
from content_pipeline.classify.vision_cache import VisionCache
from tests.core.shared_cache.answers import CountingProvider, documents

TAXONOMY = "tax-1"
DELAY_S = 0.01  # per document: the other worker comes along while this one is still asking


@dataclass(frozen=True)
class WorkerRun:
    """What one worker's provider was asked, (record, category, summary, cache) per answer, and when it ran."""

    asked: list[str]
    answers: list[tuple[str, str | None, str | None, str | None]]
    started: float
    ended: float


def categorize_worker(location: str, count: int, start: Event) -> WorkerRun:
    """Categorize `count` documents once `start` is set."""
    cache = AiCache(location)
    inner = CountingProvider(delay_s=DELAY_S)
    try:
        start.wait()
        started = time.time()
        answers = CachedProvider(inner, cache, TAXONOMY, poll_s=0.05).categorize(documents(count))
        ended = time.time()
    finally:
        cache.close()
    return WorkerRun(inner.asked, [(a.record_id, a.category, a.summary, a.cache) for a in answers], started, ended)


def claim_and_die(location: str, keys: list[str], lease_s: float) -> None:
    """Claim `keys`, then die as a killed worker does: no release, no renewal."""
    cache = AiCache(location, lease_s=lease_s)
    cache.claims.claim(f"doomed:{os.getpid()}", keys)
    os.kill(os.getpid(), signal.SIGKILL)


def claim_pictures_and_die(location: str, keys: list[str], lease_s: float) -> None:
    """Claim the pictures of `keys` in the Vision cache, then die as a killed worker does: no release, no renewal."""
    cache = VisionCache(location, lease_s=lease_s)
    cache.claims.claim(f"doomed:{os.getpid()}", keys)
    os.kill(os.getpid(), signal.SIGKILL)
