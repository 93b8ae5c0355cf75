"""The bundled sample site: served correctly, and every page classified as a user would expect."""

import socket
from collections.abc import Callable

import httpx
import pytest

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import FetchedPage
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.status import ClassifyStatus
from tests.core.classify.conftest import page_from_response

Fetch = Callable[[str], FetchedPage]


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


def test_every_listed_link_is_classified_as_its_expected_kind(sample_site: str, dispatcher: Dispatcher) -> None:
    urls = sample_urls(sample_site)
    kinds = {kind for _, kind in urls}
    assert {"article", "video", "audio", "social", "image", "other", "broken"} <= kinds
    classified = 0
    with httpx.Client(timeout=10) as client:
        for url, expected in urls:
            response = client.get(url)
            if expected == "broken":
                assert response.status_code == 404, url
                continue
            assert response.status_code == 200, url
            extraction = dispatcher.classify(page_from_response(response))
            classified += 1
            assert extraction.kind == expected, f"{url}: {extraction.kind} ({extraction.reason})"
            if expected != "other":
                assert extraction.status == ClassifyStatus.OK, f"{url}: {extraction.reason}"
    assert classified == len(urls) - 1


@pytest.mark.parametrize(
    ("path", "title", "author", "language", "published"),
    [
        (
            "/news/2025/port-volumes-rebound.html",
            "Container volumes at Westhaven rebound as freight rates ease",
            "Martha Okonjo",
            "en",
            "2025-03-14",
        ),
        (
            "/sport/rovers-clinch-title.html",
            "Millbrook Rovers end 31-year wait with title-clinching win at Ashford",
            "Daniel Reyes",
            "en",
            "2025-04-27",
        ),
        (
            "/wissen/natrium-akku-pilotanlage.html",
            "Pilotanlage für Natrium-Akkus geht in Betrieb",
            "Katrin Albers",
            "de",
            "2025-02-06",
        ),
        (
            "/world/river-treaty-talks.html",
            "Serran basin states agree draft deal on sharing river water",
            "Priya Natarajan",
            "en",
            "2025-05-09",
        ),
        (
            "/culture/festival-cinema-plein-air.html",
            "Le festival de cinéma en plein air fête ses vingt ans",
            "Hélène Marchetti",
            "fr",
            "2025-07-03",
        ),
    ],
)
def test_articles_yield_title_author_date_language_and_main_text(
    fetch: Fetch, dispatcher: Dispatcher, path: str, title: str, author: str, language: str, published: str
) -> None:
    extraction = dispatcher.classify(fetch(path))
    assert extraction.processor == "article"
    assert (extraction.title, extraction.author, extraction.language) == (title, author, language)
    assert extraction.published == published
    assert 250 <= extraction.word_count <= 600
    text = extraction.text or ""
    assert "All rights reserved" not in text and "Impressum" not in text  # boilerplate left out


def test_the_legacy_encoded_page_is_served_without_a_charset_and_decoded_from_its_meta(
    fetch: Fetch, dispatcher: Dispatcher
) -> None:
    page = fetch("/culture/festival-cinema-plein-air.html")
    assert (page.content_type, page.charset) == ("text/html", None)
    extraction = dispatcher.classify(page)
    text = extraction.text or ""
    assert "bénévoles" in text and "œuvres" in text and "l’équipe" in text
    assert (extraction.details["encoding"], extraction.details["encoding_source"]) == ("cp1252", "meta")


def test_the_video_page_yields_channel_duration_thumbnail_and_oembed_link(
    sample_site: str, fetch: Fetch, dispatcher: Dispatcher
) -> None:
    extraction = dispatcher.classify(fetch("/watch/river-valley-timelapse.html"))
    assert (extraction.kind, extraction.details["routed_by"]) == ("video", "sniffed")
    assert extraction.title == "A Year in the River Valley – 4K Timelapse"
    assert extraction.author == extraction.details["channel"] == "Northern Light Studio"
    assert extraction.details["duration_seconds"] == 4 * 60 + 13
    assert extraction.published == "2024-11-02T14:00:03-07:00"
    assert extraction.thumbnail == f"{sample_site}/images/harbour-dusk.jpg"
    assert extraction.details["oembed_url"] == f"{sample_site}/oembed/river-valley-timelapse.json"
    assert httpx.get(extraction.details["oembed_url"]).json()["author_name"] == "Northern Light Studio"


def test_the_podcast_page_yields_host_show_episode_and_duration(fetch: Fetch, dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(fetch("/podcast/field-notes-episode-42.html"))
    assert (extraction.kind, extraction.details["routed_by"]) == ("audio", "sniffed")
    assert extraction.title == "Ep. 42: Why Hedgerows Matter"
    assert extraction.author == "Sam Whitfield"
    assert extraction.details["series"] == "Field Notes"
    assert extraction.details["episode_number"] == "42"
    assert extraction.details["duration_seconds"] == 38 * 60 + 20
    assert extraction.details["content_url"].endswith("/media/field-notes-042.mp3")


def test_the_social_post_yields_the_post_text_author_and_handle(fetch: Fetch, dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(fetch("/users/ilse/statuses/113482055512345678.html"))
    assert (extraction.kind, extraction.details["routed_by"]) == ("social", "sniffed")
    assert extraction.author == "Ilse Marten"
    assert extraction.details["handle"] == "@ilse@fedi.example"
    assert (extraction.text or "").startswith("First swifts of the year over the old mill")
    assert extraction.published == "2025-05-04T19:12:44+00:00"


def _raw_get(base_url: str, raw_path: str) -> bytes:
    """Send a request line exactly as written (an HTTP client would normalize the ../ away)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(f"GET {raw_path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("raw_path", ["/../server.py", "/%2e%2e/urls.csv", "/images/../../server.py", "/", "/images/"])
def test_the_server_refuses_to_list_folders_or_leave_its_pages_folder(sample_site: str, raw_path: str) -> None:
    response = _raw_get(sample_site, raw_path)
    assert response.startswith(b"HTTP/1.0 404")
    assert b"serve_sample_site" not in response and b"expected_kind" not in response


def test_the_server_sends_validators_and_answers_304_when_unchanged(sample_site: str) -> None:
    url = f"{sample_site}/images/port-volumes-chart.png"
    first = httpx.get(url)
    assert first.headers["content-type"] == "image/png"
    again = httpx.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
