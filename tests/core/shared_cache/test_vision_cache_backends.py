"""Gemini Vision's answers come back from the AI cache the same way from a SQLite file and from PostgreSQL."""

from content_pipeline.categorize.ai_cache import AiCache
from content_pipeline.classify.vision_answer import VisionAnswer
from content_pipeline.classify.vision_cache import VisionCache, vision_key

MODEL = "gemini-test-model"


def test_a_stored_picture_comes_back_marked_cached_and_a_changed_one_does_not(location: str) -> None:
    picture, other = b"\x89PNG one picture", b"\x89PNG another picture"
    answer = VisionAnswer("photo", "A dog on a beach.", "dog-on-beach", ("dog", "beach"), tokens_in=250, cost_usd=0.001)
    cache = VisionCache(location)
    cache.store(MODEL, [(vision_key(MODEL, picture), answer)])
    cache.store(MODEL, [(vision_key(MODEL, picture), answer)])  # stored again: replaced, not doubled
    cache.close()

    again = VisionCache(location)
    try:
        found = again.lookup(
            [vision_key(MODEL, picture), vision_key(MODEL, other), vision_key("another-model", picture)]
        )
    finally:
        again.close()
    assert list(found) == [vision_key(MODEL, picture)]
    kept = found[vision_key(MODEL, picture)]
    assert kept.cached and (kept.category, kept.tags, kept.filename) == ("photo", ("dog", "beach"), "dog-on-beach")


def test_vision_answers_and_categorize_answers_share_one_database(location: str) -> None:
    vision, answers = VisionCache(location), AiCache(location)
    try:
        vision.store(MODEL, [("k", VisionAnswer("chart"))])
        assert len(answers) == 0 and list(vision.lookup(["k"])) == ["k"]
    finally:
        vision.close()
        answers.close()
