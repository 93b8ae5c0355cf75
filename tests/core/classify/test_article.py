"""Articles: text decoded right, language detected, and a plain reason when a page holds nothing useful."""

import pytest

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import FetchedPage
from content_pipeline.classify.processors.article import ArticleProcessor
from content_pipeline.status import ClassifyStatus
from content_pipeline.text_encoding import decode_body
from tests.core.classify.conftest import make_page

PARAGRAPH = (
    "The council approved the new library budget on Tuesday after a long debate about opening hours, "
    "staffing and the cost of repairing the roof of the reading room, which has leaked for three winters. "
)


def article_html(body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Library budget</title></head><body><article>{body}</article></body></html>"
    )


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (make_page(b""), "empty page"),
        (make_page(b"   \n\t"), "empty page"),
        (make_page("<!DOCTYPE html><html><head><title>x</title></head><body>\n</body></html>"), "empty page"),
        (make_page("<html><body><script>window.app = {};</script><noscript></noscript></body></html>"), "empty page"),
        (
            make_page(article_html("<p>The office is closed on Monday for the public holiday.</p>")),
            "too short (10 words)",
        ),
    ],
    ids=["no bytes", "whitespace", "empty body", "script only", "too short"],
)
def test_pages_with_nothing_useful_say_why(dispatcher: Dispatcher, page: FetchedPage, reason: str) -> None:
    extraction = dispatcher.classify(page)
    assert extraction.status == ClassifyStatus.NOTHING_USEFUL
    assert extraction.reason == reason


def test_a_pdf_is_unsupported_content_not_an_empty_page(dispatcher: Dispatcher) -> None:
    pdf = make_page(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", content_type="application/pdf")
    extraction = dispatcher.classify(pdf)
    assert (extraction.status, extraction.reason) == ("unsupported", "unsupported content (application/pdf)")
    extraction = ArticleProcessor().process(make_page(b"%PDF-1.4", content_type="application/pdf"))
    assert (extraction.status, extraction.reason) == ("unsupported", "unsupported content (application/pdf)")


def test_a_short_page_keeps_its_text_so_a_user_can_see_what_it_said(dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(make_page(article_html("<p>" + PARAGRAPH + "</p>")))
    assert extraction.reason == f"too short ({len(PARAGRAPH.split())} words)"
    assert extraction.text == PARAGRAPH.strip()


def test_a_long_enough_article_is_ok_with_language_detected(dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(make_page(article_html("<p>" + PARAGRAPH * 3 + "</p>")))
    assert extraction.status == ClassifyStatus.OK
    assert extraction.word_count == 3 * len(PARAGRAPH.split())
    assert extraction.language == "en"
    assert extraction.details["language_confidence"] > 0.9


def test_language_is_detected_from_the_text_not_taken_from_the_page_declaration(dispatcher: Dispatcher) -> None:
    spanish = (
        "El ayuntamiento aprobó el martes el nuevo presupuesto de la biblioteca después de un largo debate sobre "
        "los horarios, el personal y el coste de reparar el tejado de la sala de lectura, que lleva tres inviernos "
        "con goteras. Los vecinos pidieron que la biblioteca abra también los sábados por la tarde. "
    ) * 2
    page = make_page(f'<html lang="en"><head><title>Presupuesto</title></head><body><p>{spanish}</p></body></html>')
    assert dispatcher.classify(page).language == "es"


def test_plain_text_files_are_read_as_articles(dispatcher: Dispatcher) -> None:
    extraction = dispatcher.classify(
        make_page(PARAGRAPH * 3, content_type="text/plain", url="https://example.com/notes.txt")
    )
    assert (extraction.kind, extraction.status, extraction.language) == ("article", "ok", "en")


@pytest.mark.parametrize(
    ("body", "header_charset", "encoding", "source"),
    [
        ("Grüße aus Köln".encode(), "utf-8", "utf-8", "header"),
        ('<meta charset="iso-8859-1"><p>Grüße aus Köln</p>'.encode("latin-1"), None, "cp1252", "meta"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>Grüße €</p>'.encode("cp1252"),
            None,
            "cp1252",
            "meta",
        ),
        (
            '<?xml version="1.0" encoding="Big5"?><html><p>台北市立圖書館</p></html>'.encode("big5"),
            None,
            "big5hkscs",
            "meta",
        ),
        # A header that lies (UTF-8 announced, Latin-1 sent) loses to the page's own declaration.
        ('<meta charset="windows-1252"><p>Grüße aus Köln</p>'.encode("cp1252"), "utf-8", "cp1252", "meta"),
        ("\ufeffGrüße aus Köln".encode("utf-8"), "iso-8859-1", "utf-8", "bom"),
    ],
)
def test_bytes_are_decoded_with_header_then_declared_charset(
    body: bytes, header_charset: str | None, encoding: str, source: str
) -> None:
    decoded = decode_body(body, header_charset)
    assert (decoded.encoding, decoded.source) == (encoding, source)
    assert "Grüße" in decoded.text or "台北市立圖書館" in decoded.text


def test_undeclared_legacy_bytes_are_decoded_by_detection() -> None:
    text = "日本語のページです。図書館の予算が火曜日に承認されました。開館時間と職員について長い議論がありました。" * 3
    decoded = decode_body(text.encode("shift_jis"), None)
    assert decoded.source == "detected"
    assert "図書館の予算" in decoded.text
