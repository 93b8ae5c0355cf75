"""Gemini Vision for images, against a local server speaking the Gemini REST API through the real client."""

import base64
import io
from collections.abc import Iterator

import pytest
from PIL import Image

from content_pipeline.categorize.gemini_provider import GeminiAuthError
from content_pipeline.classify.models import Extraction, Kind
from content_pipeline.classify.vision import GeminiVision, apply_vision
from content_pipeline.status import ClassifyStatus
from tests.fakes.gemini_server import FakeGeminiServer, answer, error, safety_blocked


@pytest.fixture
def gemini() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as server:
        yield server


def picture(width: int = 1600, height: int = 1200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format="PNG")
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
    apply_vision(rows, [picture(), picture(), picture()], vision(gemini))
    assert [r.details["visual_category"] for r in rows] == ["photo", "photo", "photo"]
    reasons = [str(r.details["visual_category_error"]) for r in rows]
    assert "no answer" in reasons[0] and "schema" in reasons[1] and "500" in reasons[2]


def test_a_rejected_key_stops_the_run_with_a_message_that_names_the_setting(gemini: FakeGeminiServer) -> None:
    gemini.enqueue(error(403, "PERMISSION_DENIED", "API key test-key is not allowed"))
    with pytest.raises(GeminiAuthError, match="GEMINI_API_KEY") as failure:
        apply_vision([image_row()], [picture()], vision(gemini))
    assert "test-key" not in str(failure.value)
