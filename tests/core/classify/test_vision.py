"""Gemini Vision for images, against a local server speaking the Gemini REST API through the real client."""

import base64
import io
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from PIL import Image

from content_pipeline.classify.models import Extraction, Kind
from content_pipeline.classify.vision import GeminiVision, apply_vision
from content_pipeline.gemini.errors import GeminiAuthError
from content_pipeline.gemini.pricing import load_prices
from content_pipeline.status import ClassifyStatus
from tests.fakes.gemini_server import FakeGeminiServer, answer, daily_quota_exhausted, error, safety_blocked


@pytest.fixture
def gemini() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as server:
        yield server


def picture(width: int = 1600, height: int = 1200, blue: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, blue)).save(out, format="PNG")
    return out.getvalue()


def image_row(category: str = "graphic") -> Extraction:
    return Extraction(kind=Kind.IMAGE, processor="image", details={"visual_category": category})


def vision(server: FakeGeminiServer) -> GeminiVision:
    return GeminiVision("test-key", model="gemini-test", base_url=server.base_url, max_attempts=1, max_concurrency=1)


def test_gemini_names_the_visual_category_and_the_heuristic_one_is_kept_beside_it(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(
        answer(
            {
                "category": "screenshot",
                "description": "  A settings page\nof a phone app. ",
                "filename": "../../Phone Settings Écran.PNG",
                "tags": ["Phone", "settings", "phone", " app  screen ", ""],
            }
        )
    )
    rows = [image_row()]
    apply_vision(rows, [picture()], vision(gemini))
    details = rows[0].details
    assert details["visual_category"] == "screenshot" and details["heuristic_visual_category"] == "graphic"
    assert details["visual_category_method"] == "gemini:gemini-test"
    assert rows[0].description == "A settings page of a phone app."
    assert details["suggested_filename"] == "phone-settings-ecran"  # a slug: no path, no extension
    assert details["visual_tags"] == ["phone", "settings", "app screen"]
    [request] = gemini.requests
    assert request.model == "gemini-test" and request.headers.get("x-goog-api-key") == "test-key"
    inline = next(p["inlineData"] for p in request.body["contents"][0]["parts"] if "inlineData" in p)
    sent = Image.open(io.BytesIO(base64.urlsafe_b64decode(inline["data"])))
    assert (inline.get("mimeType") or inline.get("mime_type")) == "image/jpeg"
    assert max(sent.size) == 768  # scaled down before sending
    schema = request.body["generationConfig"]["responseSchema"]
    assert "screenshot" in str(schema) and "photo" in str(schema)  # the answer is held to the category list


def test_only_readable_images_are_sent(gemini: FakeGeminiServer) -> None:
    unreadable = Extraction(kind=Kind.IMAGE, processor="image", status=ClassifyStatus.ERROR)
    article = Extraction(kind=Kind.ARTICLE, processor="article")
    apply_vision([unreadable, article], [b"broken", b"<html></html>"], vision(gemini))
    assert gemini.requests == []


def test_an_image_gemini_cannot_answer_keeps_the_heuristic_category_with_the_reason(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(
        safety_blocked(),
        answer({"category": "painting", "description": "x", "filename": "x", "tags": []}),  # outside the list
        error(500, "INTERNAL", "oops"),
    )
    rows = [image_row("photo"), image_row("photo"), image_row("photo")]
    apply_vision(rows, [picture(blue=10), picture(blue=20), picture(blue=30)], vision(gemini))  # three pictures
    assert [r.details["visual_category"] for r in rows] == ["photo", "photo", "photo"]
    reasons = [str(r.details["visual_category_error"]) for r in rows]
    assert "no answer" in reasons[0] and "schema" in reasons[1] and "500" in reasons[2]


def test_a_rejected_key_stops_the_run_with_a_message_that_names_the_setting(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(error(403, "PERMISSION_DENIED", "API key test-key is not allowed"))
    with pytest.raises(GeminiAuthError, match="GEMINI_API_KEY") as failure:
        apply_vision([image_row()], [picture()], vision(gemini))
    assert "test-key" not in str(failure.value)


def test_a_picture_seen_before_is_answered_from_the_ai_cache_without_a_request(
    gemini: FakeGeminiServer, tmp_path: Path
) -> None:
    gemini.enqueue(answer({"category": "photo", "description": "A lake.", "filename": "lake", "tags": ["lake"]}))
    cache = tmp_path / "ai.sqlite"
    first, second, other_model = [image_row()], [image_row()], [image_row()]
    with closing(GeminiVision("test-key", "gemini-test", gemini.base_url, max_attempts=1, cache_path=cache)) as v:
        apply_vision(first, [picture()], v)
    with closing(GeminiVision("test-key", "gemini-test", gemini.base_url, max_attempts=1, cache_path=cache)) as v:
        apply_vision(second, [picture()], v)  # the same bytes, another run
    assert len(gemini.requests) == 1
    assert (first[0].details["visual_cache"], second[0].details["visual_cache"]) == ("miss", "hit")
    assert second[0].details["visual_category"] == "photo" and second[0].details["visual_tags"] == ["lake"]
    gemini.enqueue(answer({"category": "graphic", "description": "x", "filename": "x", "tags": []}))
    with closing(GeminiVision("test-key", "gemini-other", gemini.base_url, max_attempts=1, cache_path=cache)) as v:
        apply_vision(other_model, [picture()], v)
    assert len(gemini.requests) == 2 and other_model[0].details["visual_category"] == "graphic"


def test_each_picture_records_its_tokens_and_cost_from_the_price_table(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(answer({"category": "photo", "description": "d", "filename": "f", "tags": []}, output_tokens=30))
    rows = [image_row()]
    model = "gemini-2.5-flash"
    with closing(GeminiVision("test-key", model, gemini.base_url, max_attempts=1)) as v:
        apply_vision(rows, [picture()], v)
    price = load_prices().price(model)
    assert price is not None
    details = rows[0].details
    assert (details["visual_tokens_in"], details["visual_tokens_out"]) == (120, 30)
    assert details["visual_cost_usd"] == pytest.approx(price.cost(120, 30)) and details["visual_cost_usd"] > 0


def test_a_used_up_daily_quota_stops_vision_requests_for_the_rest_of_the_run(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(daily_quota_exhausted())
    rows = [image_row("photo") for _ in range(4)]
    apply_vision(rows, [picture(blue=b) for b in (1, 2, 3, 4)], vision(gemini))
    assert len(gemini.requests) == 1  # nothing more was sent after the quota ran out
    assert all("daily quota" in str(r.details["visual_category_error"]) for r in rows)
    assert [r.details["visual_category"] for r in rows] == ["photo"] * 4  # the heuristic verdict stands


def test_the_same_picture_twice_in_one_run_is_asked_and_paid_once(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(answer({"category": "photo", "description": "d", "filename": "f", "tags": []}))
    rows = [image_row(), image_row()]
    apply_vision(rows, [picture(), picture()], vision(gemini))
    assert len(gemini.requests) == 1
    assert [r.details["visual_category"] for r in rows] == ["photo", "photo"]
    assert [r.details["visual_tokens_in"] for r in rows] == [120, 0]


def test_a_key_echoed_in_a_vision_answer_is_never_stored(gemini: FakeGeminiServer, tmp_path: Path) -> None:
    key = "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"
    gemini.enqueue(
        answer({"category": "photo", "description": f"a cat; key {key}", "filename": key, "tags": ["cat", key]})
    )
    cache = tmp_path / "vision.sqlite"
    seer = GeminiVision(key, model="gemini-test", base_url=gemini.base_url, max_attempts=1, cache_path=cache)
    rows = [image_row()]
    with closing(seer):
        apply_vision(rows, [picture()], seer)
    files = b"".join(path.read_bytes() for path in tmp_path.glob("vision.sqlite*"))  # the database and its journal
    kept = repr(rows[0].details) + repr(rows[0].description) + files.decode("latin-1")
    assert rows[0].details["visual_category"] == "photo"
    assert [key[i : i + 8] for i in range(len(key) - 7) if key[i : i + 8] in kept] == []
