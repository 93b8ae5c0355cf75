"""Articles in other languages and legacy encodings: decoded without mojibake, language detected from the text.

The fixtures under tests/fixtures/pages/languages are stored in the encoding they declare (or fail to declare),
byte for byte as a server would send them.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import FetchedPage
from content_pipeline.status import ClassifyStatus

LANGUAGE_PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "pages" / "languages"
MOJIBAKE_MARKERS = ("\ufffd", "Ã", "Â", "Ð", "Ñ\u0081", "ã\u0081", "æ\u009c")  # replacement char, UTF-8 read as Latin-1


@dataclass(frozen=True)
class Case:
    """One legacy-encoded page: where its charset is declared, and what the reader must get back."""

    fixture: str
    header_charset: str | None
    language: str
    title: str
    phrase: str  # a phrase from the body with the script's characters
    encoding: str
    encoding_source: str


CASES = [
    Case(
        "ja_shift_jis_meta_charset",
        None,
        "ja",
        "港町の図書館、百年ぶりに全面改装へ",
        "館長の佐藤美咲さんは「古い建物の雰囲気を残しながら",
        "cp932",  # browsers read Shift_JIS as Windows-31J
        "meta",
    ),
    Case(
        "zh_big5_xml_declaration",
        None,
        "zh",
        "港口城市圖書館將進行百年來首次全面整修",
        "館長陳美玲表示：「我們希望保留老建築的氛圍",
        "big5hkscs",
        "meta",
    ),
    Case(
        "ru_windows1251_header_charset",
        "windows-1251",
        "ru",
        "Городская библиотека закрывается на ремонт впервые за сто лет",
        "Директор библиотеки Анна Смирнова сказала",
        "cp1251",
        "header",
    ),
    Case(
        "de_utf8_bom_undeclared",
        None,
        "de",
        "Stadtbibliothek schließt für Sanierung – erstmals seit hundert Jahren",
        "Die Leiterin der Bibliothek, Anke Größer, möchte",
        "utf-8",
        "bom",
    ),
    Case(
        "fr_latin1_header_says_utf8",
        "utf-8",  # the header lies: the bytes are Latin-1
        "fr",
        "La bibliothèque municipale fermera pour travaux, une première depuis cent ans",
        "La directrice, Hélène Lefèvre, souhaite préserver l'âme du vieux bâtiment",
        "cp1252",
        "detected",
    ),
    Case(
        "ko_euc_kr_http_equiv",
        None,
        "ko",
        "항구 도시 도서관, 개관 백 년 만에 전면 보수",
        "김민지 관장은",
        "cp949",
        "meta",
    ),
]


@pytest.fixture(scope="module")
def dispatcher() -> Dispatcher:
    return Dispatcher.from_rules_file()


def served(case: Case) -> FetchedPage:
    url = f"https://news.example/{case.fixture}.html"
    body = (LANGUAGE_PAGES / f"{case.fixture}.html").read_bytes()
    return FetchedPage(url, url, "text/html", body, case.header_charset)


@pytest.mark.parametrize("case", CASES, ids=[c.fixture for c in CASES])
def test_legacy_encoded_articles_are_decoded_without_mojibake(dispatcher: Dispatcher, case: Case) -> None:
    extraction = dispatcher.classify(served(case))

    assert (extraction.processor, extraction.status, extraction.reason) == ("article", ClassifyStatus.OK, "")
    assert extraction.title == case.title
    text = extraction.text or ""
    assert case.phrase in text
    assert not any(marker in text + (extraction.title or "") for marker in MOJIBAKE_MARKERS)


@pytest.mark.parametrize("case", CASES, ids=[c.fixture for c in CASES])
def test_the_encoding_and_where_it_came_from_are_recorded(dispatcher: Dispatcher, case: Case) -> None:
    details = dispatcher.classify(served(case)).details
    assert (details["encoding"], details["encoding_source"]) == (case.encoding, case.encoding_source)


@pytest.mark.parametrize("case", CASES, ids=[c.fixture for c in CASES])
def test_the_language_is_detected_from_the_text(dispatcher: Dispatcher, case: Case) -> None:
    extraction = dispatcher.classify(served(case))
    assert extraction.language == case.language
    assert extraction.details["language_confidence"] > 0.9


def test_a_page_that_declares_the_wrong_language_gets_the_language_of_its_text(dispatcher: Dispatcher) -> None:
    case = CASES[2]  # Russian
    page = served(case)
    body = page.body.replace(b"<html>", b'<html lang="en">', 1)
    extraction = dispatcher.classify(FetchedPage(page.url, page.final_url, "text/html", body, case.header_charset))
    assert extraction.language == "ru"


@pytest.mark.parametrize("case", [CASES[0], CASES[1]], ids=["japanese", "chinese"])
def test_chinese_and_japanese_articles_are_not_too_short_for_lack_of_spaces(dispatcher: Dispatcher, case: Case) -> None:
    extraction = dispatcher.classify(served(case))
    text = extraction.text or ""
    assert len(text.split()) < 10  # whitespace finds almost no words in these scripts...
    assert extraction.word_count >= 150  # ...so each ideograph or kana counts as one
