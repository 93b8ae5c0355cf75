"""oEmbed for video, audio and social records, against a local provider that speaks the protocol on 127.0.0.1."""

import copy
import io
import json
import re
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.oembed import OembedClient, OembedTarget
from content_pipeline.classify.oembed_fields import MAX_OEMBED_TEXT_CHARS
from content_pipeline.classify.oembed_providers import find_provider, load_providers, request_url
from content_pipeline.fetch.settings import FetchSettings
from tests.core.classify.conftest import make_page
from tests.core.fetch import conftest as fetch_conftest
from tests.core.fetch.conftest import NetworkJail
from tests.fakes.oembed_server import FakeOembed, serve_oembed

network_jail = fetch_conftest.network_jail  # every test here: no connection leaves loopback, no DNS
SETTINGS = FetchSettings(allow_private=("127.0.0.1",), per_host_rate=0, max_attempts=1, total_timeout_s=10)
VIDEO_URL = "https://videos.example/v/1"
EMBED_HTML = '<iframe src="https://videos.example/embed/1"></iframe>'
ANSWER: dict[str, Any] = {
    "type": "video",
    "version": "1.0",
    "title": "Timelapse (from oEmbed)",
    "author_name": "Northern Light Studio",
    "author_url": "/channel/northern-light",
    "provider_name": "Vidorama",
    "thumbnail_url": "https://cdn.videos.example/t/1.jpg",
    "duration": 253,
    "upload_date": "2024-11-02 14:00:03",
    "html": EMBED_HTML,
}


@pytest.fixture
def provider() -> Iterator[FakeOembed]:
    with serve_oembed() as fake:
        yield fake


@pytest.fixture
def providers_file(tmp_path: Path, provider: FakeOembed) -> Path:
    """A provider table that sends YouTube watch pages to the local provider (with a query string of its own)."""
    path = tmp_path / "providers.yaml"
    entry = {"name": "Tube", "endpoint": f"{provider.endpoint}?key=demo", "url_patterns": [r"youtube\.com/watch\?"]}
    path.write_text(json.dumps([entry]), encoding="utf-8")  # JSON is YAML
    return path


@pytest.fixture
def client(providers_file: Path) -> OembedClient:
    return OembedClient.from_settings(SETTINGS, providers_file)


def video_page(url: str = VIDEO_URL, head: str = "") -> FetchedPage:
    """A page that declares itself a video (og:type), with whatever else the test puts in its head."""
    return make_page(
        f'<html><head><meta property="og:type" content="video.other">{head}</head><body></body></html>', url=url
    )


def link(href: str) -> str:
    return f'<link rel="alternate" type="application/json+oembed" href="{href}">'


def classify(client: OembedClient, *pages: FetchedPage) -> list[Extraction]:
    """What the classify stage does per page: dispatch, then oEmbed for the whole batch."""
    extractions = [Dispatcher.from_rules_file().classify(page) for page in pages]
    client.enrich([OembedTarget(p.url, p.final_url, e) for p, e in zip(pages, extractions, strict=True)])
    return extractions


def without_oembed(extraction: Extraction) -> dict[str, Any]:
    record = copy.deepcopy(asdict(extraction))
    record["details"].pop("oembed", None)
    return record


def test_the_advertised_link_is_fetched_and_fills_what_the_page_left_out(
    client: OembedClient, provider: FakeOembed
) -> None:
    provider.answer(VIDEO_URL, ANSWER)
    page = video_page(
        head='<meta property="og:title" content="A Year in the River Valley">' + link(provider.link_for(VIDEO_URL))
    )

    [video] = classify(client, page)

    assert provider.asked_about() == [VIDEO_URL]
    assert (video.kind, video.status, video.title) == (Kind.VIDEO, "ok", "A Year in the River Valley")
    assert (video.author, video.site_name) == ("Northern Light Studio", "Vidorama")
    assert video.thumbnail == "https://cdn.videos.example/t/1.jpg"
    assert video.published == "2024-11-02T14:00:03"
    assert video.details["duration_seconds"] == 253
    assert video.details["oembed"] == {
        "status": "ok",
        "endpoint": provider.endpoint,
        "source": "page",
        "reason": "",
        "type": "video",
        "provider_name": "Vidorama",
        "author_url": f"{provider.base_url}/channel/northern-light",  # relative: resolved against the endpoint
        "html_length": len(EMBED_HTML),
    }
    assert "<iframe" not in json.dumps(video.details)  # third-party markup is never kept


def test_a_provider_table_entry_is_asked_when_the_page_advertises_nothing(
    client: OembedClient, provider: FakeOembed
) -> None:
    url = "https://www.youtube.com/watch?v=abc123&t=42"
    provider.answer(url, ANSWER)

    [video] = classify(client, make_page("<html><head><title>A video</title></head></html>", url=url))

    [request] = provider.requests
    assert request.query == {"key": ["demo"], "url": [url], "format": ["json"]}
    assert video.details["oembed"]["source"] == "provider:Tube"
    assert video.details["oembed"]["endpoint"] == provider.endpoint  # the key in its query string is not stored
    assert (video.kind, video.author) == (Kind.VIDEO, "Northern Light Studio")


def test_page_metadata_wins_over_oembed_where_both_have_a_value(client: OembedClient, provider: FakeOembed) -> None:
    provider.answer(VIDEO_URL, ANSWER)
    jsonld = {"@type": "VideoObject", "author": {"name": "The Page's Channel"}, "uploadDate": "2023-01-05"}
    head = (
        '<meta property="og:title" content="The page\'s title"><meta property="og:site_name" content="PageTube">'
        '<meta property="og:image" content="https://videos.example/page.jpg">'
        f'<script type="application/ld+json">{json.dumps(jsonld | {"duration": "PT1M"})}</script>'
        + link(provider.link_for(VIDEO_URL))
    )

    [video] = classify(client, video_page(head=head))

    assert (video.title, video.author, video.site_name) == ("The page's title", "The Page's Channel", "PageTube")
    assert (video.thumbnail, video.published) == ("https://videos.example/page.jpg", "2023-01-05")
    assert video.details["duration_seconds"] == 60
    assert video.details["oembed"]["status"] == "ok"


def test_a_page_with_nothing_useful_is_rescued_by_an_oembed_title(client: OembedClient, provider: FakeOembed) -> None:
    provider.answer(VIDEO_URL, ANSWER)
    bare = Dispatcher.from_rules_file().classify(video_page(head=link(provider.link_for(VIDEO_URL))))
    assert bare.status == "nothing_useful"

    [video] = classify(client, video_page(head=link(provider.link_for(VIDEO_URL))))

    assert (video.status, video.reason, video.title) == ("ok", "", "Timelapse (from oEmbed)")


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("no such page", "http_error", "HTTP 404"),
        ("html instead of json", "invalid_json", "not JSON"),
        ("json array", "invalid_json", "not a JSON object: got a JSON array"),
        ("disallowed by robots.txt", "robots", "robots.txt"),
        ("cloud metadata address", "blocked", "169.254.169.254"),
    ],
)
def test_a_failed_lookup_is_recorded_on_the_record_and_leaves_the_rest_intact(
    client: OembedClient, provider: FakeOembed, network_jail: NetworkJail, case: str, status: str, reason: str
) -> None:
    href = provider.link_for(VIDEO_URL)
    if case == "html instead of json":
        provider.answer(VIDEO_URL, b"<html><body>Rate limited, try later</body></html>")
    elif case == "json array":
        provider.answer(VIDEO_URL, [ANSWER])
    elif case == "disallowed by robots.txt":
        provider.answer(VIDEO_URL, ANSWER)
        provider.robots_txt("User-agent: *\nDisallow: /oembed\n")
    elif case == "cloud metadata address":
        href = f"http://169.254.169.254/latest/meta-data/oembed?url={quote(VIDEO_URL, safe='')}"
    page = video_page(head='<meta property="og:title" content="A Year in the River Valley">' + link(href))
    before = Dispatcher.from_rules_file().classify(page)

    [video] = classify(client, page)

    outcome = video.details["oembed"]
    assert outcome["status"] == status, outcome
    assert reason in outcome["reason"]
    assert outcome["endpoint"] == href.split("?")[0]
    assert without_oembed(video) == without_oembed(before)
    assert network_jail.to("169.254.169.254") == []  # the guard refused it before any connection


def test_a_hostile_answer_is_cut_down_and_fields_of_the_wrong_type_are_ignored(
    client: OembedClient, provider: FakeOembed
) -> None:
    huge = "spam " * 400_000  # 2 MB
    hostile = {
        "type": "video",
        "title": huge,
        "author_name": 12345,
        "author_url": "https://videos.example/" + "a" * 10_000,
        "provider_name": ["Vidorama"],
        "thumbnail_url": "javascript:alert(1)",
        "duration": "253",
        "upload_date": {"year": 2024},
        "html": huge,
    }
    provider.answer(VIDEO_URL, hostile)

    [video] = classify(client, video_page(head=link(provider.link_for(VIDEO_URL))))

    assert video.status == "ok"
    assert (video.title or "").startswith("spam spam") and len(video.title or "") <= MAX_OEMBED_TEXT_CHARS
    assert (video.author, video.site_name, video.thumbnail, video.published) == (None, None, None, None)
    assert video.details["duration_seconds"] is None
    outcome = video.details["oembed"]
    assert outcome["html_length"] == len(huge) and outcome["author_url"] is None
    assert outcome["ignored_fields"] == [
        "author_name", "author_url", "provider_name", "thumbnail_url", "duration", "upload_date"
    ]  # fmt: skip
    assert len(json.dumps(asdict(video), default=str)) < 4 * MAX_OEMBED_TEXT_CHARS


def test_articles_images_and_failed_pages_never_ask_for_oembed(tmp_path: Path, provider: FakeOembed) -> None:
    everything = tmp_path / "everything.yaml"
    everything.write_text(f"- name: All\n  endpoint: {provider.endpoint}\n  url_patterns: ['.']\n", encoding="utf-8")
    client = OembedClient.from_settings(SETTINGS, everything)
    article = make_page(
        f"<html><head><title>News</title>{link(provider.link_for('https://news.example/a'))}</head>"
        "<body><article><p>" + "Words of a news story. " * 60 + "</p></article></body></html>",
        url="https://news.example/a",
    )
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(picture, "PNG")
    image = make_page(picture.getvalue(), "image/png", url="https://www.youtube.com/watch?v=image.png")
    crashed = Extraction(Kind.VIDEO, "video", status="error", details={"oembed_url": provider.link_for(VIDEO_URL)})

    extractions = classify(client, article, image)
    client.enrich([OembedTarget(VIDEO_URL, VIDEO_URL, crashed)])

    assert [e.kind for e in extractions] == [Kind.ARTICLE, Kind.IMAGE]
    assert provider.requests == []
    assert all("oembed" not in e.details for e in [*extractions, crashed])


def test_records_sharing_an_oembed_link_cause_one_request(client: OembedClient, provider: FakeOembed) -> None:
    provider.answer(VIDEO_URL, ANSWER)
    pages = [video_page(f"{VIDEO_URL}?copy={n}", head=link(provider.link_for(VIDEO_URL))) for n in range(3)]

    videos = classify(client, *pages)

    assert len(provider.requests) == 1
    assert {v.title for v in videos} == {"Timelapse (from oEmbed)"}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "YouTube"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=10", "YouTube"),
        ("https://youtu.be/dQw4w9WgXcQ", "YouTube"),
        ("https://www.youtube.com/shorts/abc_DEF-123", "YouTube"),
        ("https://vimeo.com/76979871", "Vimeo"),
        ("https://player.vimeo.com/video/76979871", "Vimeo"),
        ("https://www.tiktok.com/@scout2015/video/6718335390845095173", "TikTok"),
        ("https://soundcloud.com/forss/flickermood", "SoundCloud"),
        ("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk", "Spotify"),
        ("https://x.com/jack/status/20", "X"),
        ("https://twitter.com/jack/status/20", "X"),
        ("https://www.reddit.com/r/python/comments/1abcde/some_title/", "Reddit"),
        ("https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l", "Bluesky"),
        ("https://www.instagram.com/p/C0abcdEFG/", None),  # needs an access token: not in the table
        ("https://www.youtube.com/feed/trending", None),
    ],
)
def test_the_bundled_provider_table_knows_the_big_platforms(url: str, name: str | None) -> None:
    found = find_provider(load_providers(), [url])
    assert (found[0].name if found else None) == name


def test_a_request_url_carries_the_quoted_page_url_after_the_endpoints_own_query() -> None:
    page = "https://www.youtube.com/watch?v=a&t=1"
    assert request_url("https://www.youtube.com/oembed", page) == (
        "https://www.youtube.com/oembed?url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3Da%26t%3D1&format=json"
    )
    assert request_url("https://p.example/oembed?key=k", "https://a.example/").startswith(
        "https://p.example/oembed?key=k&url=https%3A%2F%2Fa.example%2F&format=json"
    )


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("- name: X\n  endpoint: /oembed\n  url_patterns: ['.']\n", "not an absolute http(s) URL"),
        ("- name: X\n  endpoint: https://x.example/oembed\n", "give a list of url_patterns"),
        ("- name: X\n  endpoint: https://x.example/oembed\n  url_patterns: ['(']\n", "bad url pattern"),
        ("name: X\n", "expected a list of providers"),
    ],
)
def test_a_broken_provider_table_is_refused_with_a_message_saying_what_is_wrong(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        OembedClient.from_settings(SETTINGS, path)


@pytest.mark.parametrize("bad", ["http://[::1/oembed", "http://127.0.0.1:99999/oembed", "ftp://files.example/oembed"])
def test_an_unusable_oembed_link_is_recorded_as_invalid_url_without_a_request(client: OembedClient, bad: str) -> None:
    video = Extraction(Kind.VIDEO, "video", title="A video", details={"oembed_url": bad})

    client.enrich([OembedTarget(VIDEO_URL, VIDEO_URL, video)])

    assert video.details["oembed"]["status"] == "invalid_url"
    assert video.details["oembed"]["reason"].startswith("oEmbed URL: ")
    assert video.title == "A video"
