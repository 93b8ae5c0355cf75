"""Which processor a page goes to: URL rules, then content type, then what the HTML declares, then the fallback."""

from pathlib import Path

import pytest

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors import PROCESSORS
from tests.core.classify.conftest import make_page

ARTICLE_HTML = "<html><head><title>Plain page</title></head><body><p>Some words here.</p></body></html>"


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=abc123", "video"),
        ("https://m.youtube.com/watch?v=abc123", "video"),
        ("https://youtu.be/abc123", "video"),
        ("https://vimeo.com/123456", "video"),
        ("https://soundcloud.com/artist/track", "audio"),
        ("https://music.youtube.com/watch?v=abc123", "audio"),
        ("https://open.spotify.com/episode/xyz", "audio"),
        ("https://www.reddit.com/r/python/comments/abc/title/", "social"),
        ("https://old.reddit.com/r/python/", "social"),
        ("https://mastodon.social/@someone/112233445566", "social"),
        ("https://social.example.org/@someone/112233445566", "social"),
        ("https://x.com/someone/status/1234", "social"),
        ("https://www.linkedin.com/posts/someone_activity-123", "social"),
        ("https://cdn.example.com/photos/Holiday.JPG", "image"),
        ("https://cdn.example.com/photos/holiday.webp?w=800", "image"),
        ("https://example.com/news/a-story", "article"),
        ("https://medium.com/@someone/a-story-abc123", "article"),
    ],
)
def test_html_pages_are_routed_by_their_domain_or_url(dispatcher: Dispatcher, url: str, expected: str) -> None:
    page = make_page(ARTICLE_HTML, url=url)
    assert dispatcher.choose(page).name == expected


def test_a_short_link_is_routed_by_where_it_ended_up(dispatcher: Dispatcher) -> None:
    page = FetchedPage("https://bit.ly/xyz", "https://www.youtube.com/watch?v=1", "text/html", ARTICLE_HTML.encode())
    assert dispatcher.route(page) == ("video", "url_rule")


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("image/jpeg", "image"),
        ("image/svg+xml", "image"),
        ("audio/mpeg", "audio"),
        ("video/mp4", "video"),
        ("application/pdf", "generic"),
        ("application/json", "generic"),
        ("text/plain", "article"),
        ("text/html", "article"),
    ],
)
def test_pages_no_rule_matches_are_routed_by_content_type(
    dispatcher: Dispatcher, content_type: str, expected: str
) -> None:
    page = make_page(b"\x00\x01 some bytes", content_type=content_type, url="https://files.example.com/download/1")
    assert dispatcher.choose(page).name == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta property="og:type" content="video.other">', "video"),
        ('<meta content="video.episode" property="og:type">', "video"),
        ("<meta property='og:type' content='music.song'>", "audio"),
        ('<script type="application/ld+json">{"@type": "PodcastEpisode", "name": "Ep 1"}</script>', "audio"),
        ('<script type="application/ld+json">{"@graph": [{"@type": "VideoObject"}]}</script>', "video"),
        ('<link rel="alternate" type="application/activity+json" href="/users/a/statuses/1">', "social"),
        ('<meta name="twitter:card" content="player">', "video"),
        # A news story that embeds a video is still an article.
        (
            '<script type="application/ld+json">[{"@type": "NewsArticle"}, {"@type": "VideoObject"}]</script>',
            "article",
        ),
        ('<meta property="og:type" content="article">', "article"),
    ],
)
def test_html_pages_are_routed_by_what_they_declare(dispatcher: Dispatcher, head: str, expected: str) -> None:
    page = make_page(f"<html><head>{head}</head><body><p>text</p></body></html>", url="http://127.0.0.1:8000/p")
    assert dispatcher.choose(page).name == expected


def test_an_untyped_html_body_is_treated_as_a_page(dispatcher: Dispatcher) -> None:
    page = make_page('<!DOCTYPE html><html><head><meta property="og:type" content="video.other">', content_type="")
    assert dispatcher.route(page) == ("video", "sniffed")
    assert dispatcher.route(make_page(b"PK\x03\x04zipdata", content_type="")) == ("generic", "fallback")


def test_url_rules_come_before_content_type(dispatcher: Dispatcher) -> None:
    page = make_page(b"\xff\xd8\xff", content_type="image/jpeg", url="https://www.youtube.com/favicon.jpg.html")
    assert dispatcher.route(page) == ("video", "url_rule")


def test_every_extraction_names_its_kind_processor_and_route(dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(make_page(b"%PDF-1.4", content_type="application/pdf"))
    assert (extraction.kind, extraction.processor) == (Kind.OTHER, "generic")
    assert extraction.details["routed_by"] == "fallback"


def test_a_users_rules_file_replaces_the_default_rules(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- processor: audio\n  domains: [radio.example.net]\n"
        "- processor: social\n  url_patterns: ['/forum/thread/\\d+$']\n",
        encoding="utf-8",
    )
    dispatcher = Dispatcher.from_rules_file(rules)
    assert dispatcher.choose(make_page(ARTICLE_HTML, url="https://live.radio.example.net/show")).name == "audio"
    assert dispatcher.choose(make_page(ARTICLE_HTML, url="https://example.com/forum/thread/42")).name == "social"
    assert dispatcher.choose(make_page(ARTICLE_HTML, url="https://www.youtube.com/watch?v=1")).name == "article"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- processor: podcastify\n  domains: [a.com]\n", "unknown processor 'podcastify'"),
        ("- processor: video\n  url_patterns: ['(unclosed']\n", "rule 1: bad url pattern"),
        ("- processor: video\n", "at least one domain or url pattern"),
        ("processor: video\n", "expected a list of rules"),
    ],
)
def test_a_broken_rules_file_is_refused_with_a_message_naming_the_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Dispatcher.from_rules_file(rules)


class ExplodingProcessor:
    name = "exploding"
    kind = Kind.ARTICLE

    def process(self, page: FetchedPage) -> Extraction:
        raise RuntimeError("parser blew up on " + page.url)


def test_a_processor_that_raises_gives_status_error_naming_the_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PROCESSORS, "exploding", ExplodingProcessor())
    rules = tmp_path / "rules.yaml"
    rules.write_text("- processor: exploding\n  domains: [fragile.example]\n", encoding="utf-8")
    dispatcher = Dispatcher.from_rules_file(rules)

    extraction = dispatcher.classify(make_page(ARTICLE_HTML, url="https://fragile.example/a"))

    assert extraction.status == "error"
    assert "RuntimeError" in extraction.reason
    assert "parser blew up on https://fragile.example/a" in extraction.reason
    assert (extraction.kind, extraction.processor) == (Kind.ARTICLE, "exploding")
