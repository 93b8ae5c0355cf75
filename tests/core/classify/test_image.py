"""Images: dimensions, EXIF, perceptual hash, a heuristic visual category, and plain reasons for bad bytes."""

import io
from collections.abc import Callable

import imagehash
import pytest
from PIL import Image

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import FetchedPage
from content_pipeline.status import ClassifyStatus
from tests.core.classify.conftest import make_page

Fetch = Callable[[str], FetchedPage]


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


def test_a_photo_yields_size_exif_capture_time_camera_and_hash(fetch: Fetch, dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(fetch("/images/harbour-dusk.jpg"))
    details = extraction.details
    assert (extraction.kind, extraction.status) == ("image", ClassifyStatus.OK)
    assert (details["format"], details["width"], details["height"], details["mode"]) == ("JPEG", 640, 427, "RGB")
    assert details["exif_datetime"] == extraction.published == "2024-09-21T19:04:37"
    assert (details["camera_make"], details["camera_model"]) == ("Canon", "Canon EOS R6")
    assert len(details["phash"]) == 16 and int(details["phash"], 16) >= 0
    assert details["visual_category"] == "photo"
    assert details["visual_category_method"] == "heuristic"


def test_a_chart_is_a_graphic_without_exif(fetch: Fetch, dispatcher: Dispatcher) -> None:
    details = dispatcher.classify(fetch("/images/port-volumes-chart.png")).details
    assert (details["format"], details["width"], details["height"]) == ("PNG", 480, 320)
    assert details["visual_category"] == "graphic"
    assert "exif_datetime" not in details and "camera_make" not in details


def test_the_same_picture_resized_and_recompressed_keeps_a_near_identical_phash(
    fetch: Fetch, dispatcher: Dispatcher
) -> None:
    original = fetch("/images/harbour-dusk.jpg")
    smaller = io.BytesIO()
    Image.open(io.BytesIO(original.body)).resize((320, 213)).save(smaller, "WEBP", quality=60)
    copy = make_page(smaller.getvalue(), content_type="image/webp", url="https://cdn.example.com/copy.webp")
    first, second = (dispatcher.classify(p).details["phash"] for p in (original, copy))
    assert imagehash.hex_to_hash(first) - imagehash.hex_to_hash(second) <= 6


def test_a_greyscale_picture_is_called_greyscale(dispatcher: Dispatcher) -> None:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((300, 200)).convert("RGB").save(buffer, "JPEG")
    details = dispatcher.classify(make_page(buffer.getvalue(), content_type="image/jpeg")).details
    assert details["visual_category"] == "greyscale"


@pytest.mark.parametrize(
    ("body", "url"),
    [
        (b"\xff\xd8\xff\xe0 this is not really a jpeg " * 4, "https://example.com/broken.jpg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "https://example.com/broken.png"),
    ],
    ids=["garbage after a JPEG marker", "PNG signature without chunks"],
)
def test_corrupt_image_bytes_give_status_error_with_a_clear_reason(
    dispatcher: Dispatcher, body: bytes, url: str
) -> None:
    extraction = dispatcher.classify(make_page(body, content_type="image/jpeg", url=url))
    assert extraction.kind == "image"
    assert extraction.status == ClassifyStatus.ERROR
    assert extraction.reason.startswith("corrupt or unreadable image (image/jpeg,")


def test_a_truncated_download_is_reported_not_raised(fetch: Fetch, dispatcher: Dispatcher) -> None:
    photo = fetch("/images/harbour-dusk.jpg")
    truncated = make_page(photo.body[:4000], content_type="image/jpeg", url="https://example.com/cut.bin")
    extraction = dispatcher.classify(truncated)
    assert extraction.status == ClassifyStatus.ERROR
    assert "truncated" in extraction.reason


def test_an_html_error_page_at_an_image_url_is_not_an_image(dispatcher: Dispatcher) -> None:
    page = make_page("<html><body>Hotlinking not allowed</body></html>", url="https://example.com/photo.jpg")
    extraction = dispatcher.classify(page)
    assert (extraction.status, extraction.reason) == ("nothing_useful", "not an image (text/html, 48 bytes)")
