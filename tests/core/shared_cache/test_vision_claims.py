"""Two classifiers asking Gemini Vision about the same pictures at once, on one AI cache (a SQLite file or a real
PostgreSQL database), pay once per picture; a claimant that dies or fails holds the others back only for a while.
Gemini is the local server speaking its REST API, driven by the real client."""

import base64
import hashlib
import io
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing

import pytest
from PIL import Image

from content_pipeline.cache_store.location import cache_location
from content_pipeline.classify.models import Extraction, Kind
from content_pipeline.classify.vision import GeminiVision, apply_vision
from content_pipeline.classify.vision_cache import VisionCache, vision_key
from tests.core.shared_cache.workers import claim_pictures_and_die
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer, error

SPAWN = multiprocessing.get_context("spawn")
MODEL = "gemini-test"
PICTURES = 10
ANSWER_DELAY_S = 0.05  # per request: the other classifier comes along while the first is still asking
LABEL = {"category": "photo", "description": "A blue square.", "filename": "blue-square", "tags": ["blue"]}


@pytest.fixture
def gemini() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as server:
        yield server


def picture(shade: int) -> bytes:
    """A square of its own colour: far enough from the others' to stay apart after JPEG compression."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (20 * shade, 120, 250 - 20 * shade)).save(out, format="PNG")
    return out.getvalue()


def slow_answer(_request: Request) -> Reply:
    time.sleep(ANSWER_DELAY_S)
    return answer(LABEL)


def sent_picture(request: Request) -> str:
    """A hash of the picture a request carried."""
    inline = next(p["inlineData"] for p in request.body["contents"][0]["parts"] if "inlineData" in p)
    return hashlib.sha256(base64.urlsafe_b64decode(inline["data"])).hexdigest()


def classifier(gemini: FakeGeminiServer, location: str, claim_poll_s: float = 0.2) -> GeminiVision:
    return GeminiVision(
        "test-key",
        MODEL,
        gemini.base_url,
        max_attempts=1,
        max_concurrency=2,
        cache_path=cache_location(location),
        claim_poll_s=claim_poll_s,
    )


def image_rows(count: int) -> list[Extraction]:
    return [Extraction(Kind.IMAGE, processor="image", details={"visual_category": "graphic"}) for _ in range(count)]


def claim_owners(location: str) -> list[str]:
    cache = VisionCache(location)
    try:
        with cache.engine.connect() as conn:
            return [owner for (owner,) in conn.exec_driver_sql("SELECT owner FROM vision_claims")]
    finally:
        cache.close()


def test_two_classifiers_racing_on_the_same_pictures_pay_one_request_per_picture(
    gemini: FakeGeminiServer, location: str
) -> None:
    gemini.responder = slow_answer
    pictures = [picture(shade) for shade in range(PICTURES)]
    pictures.append(pictures[3])  # a picture twice in one day
    rows = {"a": image_rows(len(pictures)), "b": image_rows(len(pictures))}
    spans: dict[str, tuple[float, float]] = {}
    start = threading.Barrier(2)

    def classify(name: str, vision: GeminiVision) -> None:
        with closing(vision):
            start.wait()
            started = time.monotonic()
            apply_vision(rows[name], pictures, vision)
            spans[name] = (started, time.monotonic())

    workers = [
        threading.Thread(target=classify, args=(name, classifier(gemini, location, claim_poll_s=0.02))) for name in rows
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    (a_start, a_end), (b_start, b_end) = spans["a"], spans["b"]
    assert a_start < b_end and b_start < a_end  # they ran at the same time
    sent = Counter(sent_picture(request) for request in gemini.requests)
    assert len(gemini.requests) == PICTURES and set(sent.values()) == {1}  # one request per distinct picture
    details = [row.details for name in rows for row in rows[name]]
    assert {d["visual_category"] for d in details} == {"photo"}
    assert Counter(d["visual_cache"] for d in details) == {"miss": PICTURES, "hit": PICTURES + 2}
    assert sum(d["visual_tokens_in"] for d in details) == 120 * PICTURES  # paid once in all
    assert claim_owners(location) == []


def test_the_claims_of_a_killed_classifier_hold_only_until_their_lease_runs_out(
    gemini: FakeGeminiServer, location: str
) -> None:
    gemini.responder = slow_answer
    pictures = [picture(shade) for shade in (1, 2, 3)]
    keys = [vision_key(MODEL, p) for p in pictures]
    dying = SPAWN.Process(target=claim_pictures_and_die, args=(location, keys, 3.0))
    dying.start()
    dying.join(60)
    assert dying.exitcode == -9
    cache = VisionCache(location)
    try:
        with cache.engine.connect() as conn:
            claimed: dict[str, float] = dict(conn.exec_driver_sql("SELECT key, expires_at FROM vision_claims").all())
    finally:
        cache.close()
    assert set(claimed) == set(keys) and time.time() < min(claimed.values())  # still held when we start
    with closing(classifier(gemini, location, claim_poll_s=0.05)) as vision:
        answers = vision.describe(pictures)
    assert time.time() >= max(claimed.values())  # it waited for the dead classifier's lease to run out, then asked
    assert len(gemini.requests) == 3 and [a.category for a in answers] == ["photo"] * 3
    assert [a.cached for a in answers] == [False] * 3 and claim_owners(location) == []


def test_a_failed_answer_drops_its_claim_and_the_waiting_classifier_asks_itself(
    gemini: FakeGeminiServer, location: str
) -> None:
    def first_fails_slowly(request: Request) -> Reply:
        if len(gemini.requests) == 1:
            time.sleep(0.5)
            return error(500, "INTERNAL", "oops")
        return answer(LABEL)

    gemini.responder = first_fails_slowly
    image = picture(7)
    failed: list[str | None] = []
    first = classifier(gemini, location)
    asking = threading.Thread(target=lambda: failed.extend(a.error for a in first.describe([image])))
    try:
        asking.start()
        while not gemini.requests:  # the first classifier holds the claim and is asking
            time.sleep(0.01)
        with closing(classifier(gemini, location, claim_poll_s=0.05)) as second:
            [answered] = second.describe([image])
        asking.join(60)
    finally:
        first.close()
    assert failed and "500" in str(failed[0])
    assert answered.category == "photo" and not answered.cached  # asked after the claim was dropped, not after 600 s
    assert len(gemini.requests) == 2 and claim_owners(location) == []
