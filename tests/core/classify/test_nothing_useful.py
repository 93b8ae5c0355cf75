"""Pages that hold nothing worth keeping: status nothing_useful, with a reason a user can act on."""

import io
import re
import zipfile
from pathlib import Path

import pytest

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import Extraction, FetchedPage, Kind
from content_pipeline.classify.processors.article import ArticleProcessor
from content_pipeline.status import ClassifyStatus

PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages" / "nothing_useful"
NEWS_URL = "https://www.westhavencourier.example/news/2025/03/harbour-dredging"
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.txt", "Harbour dredging report, draft 3.")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


def fetched(body: bytes, url: str = NEWS_URL, content_type: str = "text/html") -> FetchedPage:
    return FetchedPage(url, url, content_type, body, None)


def classify_fixture(dispatcher: Dispatcher, name: str, url: str = NEWS_URL) -> Extraction:
    return dispatcher.classify(fetched((PAGES / name).read_bytes(), url))


@pytest.mark.parametrize("body", [b"", b"  \r\n\t \n"], ids=["zero bytes", "whitespace only"])
@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (NEWS_URL, Kind.ARTICLE),
        ("https://www.youtube.com/watch?v=abc123XYZ_0", Kind.VIDEO),
        ("https://soundcloud.com/lantern-choir/night-ferry-to-brellin", Kind.AUDIO),
        ("https://bsky.app/profile/nellarden.bsky.social/post/3kr7xq2abc22w", Kind.SOCIAL),
    ],
)
def test_an_empty_page_says_empty_page_whichever_processor_reads_it(
    dispatcher: Dispatcher, body: bytes, url: str, kind: Kind
) -> None:
    extraction = dispatcher.classify(fetched(body, url))
    assert (extraction.kind, extraction.status, extraction.reason) == (
        kind,
        ClassifyStatus.NOTHING_USEFUL,
        "empty page",
    )


def test_a_paywall_stub_declared_in_json_ld_says_how_many_words_are_free(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "paywall_stub_isaccessibleforfree.html")
    assert extraction.status == ClassifyStatus.NOTHING_USEFUL
    assert re.fullmatch(
        r"paywall stub: only \d+ words are free \(JSON-LD isAccessibleForFree: false, paywalled section \.paywall\)",
        extraction.reason,
    ), extraction.reason
    assert extraction.details["paywalled"] is True
    assert (extraction.text or "").startswith("Harbour board approves")  # the teaser is kept for the user to see


def test_a_paywall_stub_declared_by_its_content_tier_is_a_paywall_stub(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "paywall_content_tier_locked.html")
    assert extraction.status == ClassifyStatus.NOTHING_USEFUL
    assert extraction.reason.startswith("paywall stub: only ")
    assert extraction.reason.endswith("(article:content_tier: locked)")


def test_a_teaser_behind_a_subscribe_wall_without_declaration_is_a_paywall_stub(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "paywall_teaser_subscribe_wall.html")
    assert extraction.status == ClassifyStatus.NOTHING_USEFUL
    assert extraction.reason.startswith("paywall stub: only ")
    assert extraction.reason.endswith("(an element whose class or id names a paywall)")
    assert "paywalled" not in extraction.details  # markup hints name the reason, only a declaration sets the flag


def test_a_paywalled_article_shipped_in_full_is_kept_and_flagged_paywalled(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "paywall_full_text_shipped.html")
    assert (extraction.status, extraction.reason) == (ClassifyStatus.OK, "")
    assert extraction.details["paywalled"] is True
    assert "JSON-LD isAccessibleForFree: false" in extraction.details["paywall_marker"]
    assert extraction.word_count >= 250
    assert "judicial review" in (extraction.text or "")  # text from inside the paywalled section
    assert (extraction.title, extraction.author) == (
        "Harbour board approves first dredging of inner basin in forty years",
        "Martha Okonjo",
    )


def test_an_article_declared_free_is_not_flagged_paywalled(dispatcher: Dispatcher) -> None:
    body = (PAGES / "paywall_full_text_shipped.html").read_text(encoding="utf-8")
    body = body.replace('"isAccessibleForFree": false', '"isAccessibleForFree": true')
    extraction = dispatcher.classify(fetched(body.encode("utf-8")))
    assert extraction.status == ClassifyStatus.OK
    assert "paywalled" not in extraction.details


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (PDF_BYTES, "application/pdf", "unsupported content (application/pdf)"),
        (zip_bytes(), "application/zip", "unsupported content (application/zip)"),
        (zip_bytes(), "", "unsupported content (unknown type)"),
    ],
    ids=["pdf", "zip", "untyped zip"],
)
def test_non_html_content_given_to_the_article_processor_is_unsupported_and_named_by_its_type(
    body: bytes, content_type: str, reason: str
) -> None:
    extraction = ArticleProcessor().process(fetched(body, content_type=content_type))
    assert (extraction.status, extraction.reason) == (ClassifyStatus.UNSUPPORTED, reason)


@pytest.mark.parametrize(
    "url",
    [NEWS_URL, "https://www.youtube.com/watch?v=abc123XYZ_0", "https://x.com/nellarden/status/1786100873295278125"],
)
def test_a_pdf_is_unsupported_content_wherever_it_was_linked_from(dispatcher: Dispatcher, url: str) -> None:
    extraction = dispatcher.classify(fetched(PDF_BYTES, url, "application/pdf"))
    assert (extraction.status, extraction.reason) == (
        ClassifyStatus.UNSUPPORTED,
        "unsupported content (application/pdf)",
    )


def test_a_page_of_a_few_words_is_too_short_and_keeps_its_text(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "too_short.html")
    assert (extraction.status, extraction.reason) == (ClassifyStatus.NOTHING_USEFUL, "too short (13 words)")
    assert "closed on Monday" in (extraction.text or "")


def test_a_react_app_shell_says_the_page_needs_javascript(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "app_shell_react.html", "https://tides.example/today")
    assert extraction.status == ClassifyStatus.NOTHING_USEFUL
    assert extraction.reason == (
        'page needs JavaScript: no text, only an app shell (empty <div id="root">, 2 scripts, '
        "<noscript> asks for JavaScript)"
    )


def test_a_nextjs_app_shell_says_the_page_needs_javascript(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "app_shell_nextjs.html", "https://tours.example/tours/evening-cruise")
    assert extraction.status == ClassifyStatus.NOTHING_USEFUL
    assert extraction.reason == 'page needs JavaScript: no text, only an app shell (empty <div id="__next">, 4 scripts)'


def test_a_page_with_only_an_inline_script_is_empty_not_an_app(dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(fetched(b"<html><body><script>var a = 1;</script></body></html>"))
    assert extraction.reason == "empty page"


def test_an_x_post_served_as_an_app_shell_says_the_page_needs_javascript(dispatcher: Dispatcher) -> None:
    url = "https://x.com/nellarden/status/1786100873295278125"
    extraction = classify_fixture(dispatcher, "x_app_shell.html", url)
    assert (extraction.kind, extraction.status) == (Kind.SOCIAL, ClassifyStatus.NOTHING_USEFUL)
    assert extraction.reason.startswith(
        'page needs JavaScript: no text, only an app shell (empty <div id="react-root">'
    )


def test_an_instagram_login_wall_is_not_taken_for_a_post(dispatcher: Dispatcher) -> None:
    extraction = classify_fixture(dispatcher, "instagram_login_wall.html", "https://www.instagram.com/p/C6kXyZ1abcD/")
    assert (extraction.kind, extraction.status) == (Kind.SOCIAL, ClassifyStatus.NOTHING_USEFUL)
    assert extraction.reason == "no description and only the site's name as title ('Instagram'): a login wall?"


def test_a_platform_page_without_any_metadata_says_so(dispatcher: Dispatcher) -> None:
    body = b"<html><body><p>Video unavailable. This video has been removed by the uploader.</p></body></html>"
    extraction = dispatcher.classify(fetched(body, "https://vimeo.com/876543210"))
    assert (extraction.kind, extraction.status) == (Kind.VIDEO, ClassifyStatus.NOTHING_USEFUL)
    assert extraction.reason == "no title or description in the page's metadata"
