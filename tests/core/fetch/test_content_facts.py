import gzip
import io

from PIL import Image

from content_pipeline.fetch.content_facts import describe_content, effective_media_type, sniff_media_type
from content_pipeline.fetch.models import FetchResult
from content_pipeline.status import FetchStatus
from content_pipeline.text_encoding import MAX_REPLACED_SEQUENCES, decode_body


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def fetched(body: bytes, declared: str | None, charset: str | None = None) -> FetchResult:
    result = FetchResult("r", "https://example.org/x", FetchStatus.OK, body=body, declared_type=declared)
    result.content_type, result.charset = declared, charset
    describe_content(result)
    return result


def test_the_bytes_name_their_type_when_the_header_does_not() -> None:
    assert sniff_media_type(png_bytes()) == "image/png"
    assert sniff_media_type(b"%PDF-1.7\n...") == "application/pdf"
    assert sniff_media_type(b"<!DOCTYPE html><html><body>hi</body></html>") == "text/html"
    assert sniff_media_type(b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>') == "application/rss+xml"
    assert sniff_media_type(b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>') == "application/atom+xml"
    assert sniff_media_type(b"just some words") is None


def test_a_missing_or_generic_header_is_replaced_by_the_sniffed_type() -> None:
    assert fetched(png_bytes(), None).content_type == "image/png"
    assert fetched(b"<html><body>x</body></html>", "application/octet-stream").content_type == "text/html"
    unknown = fetched(b"\x00\x01opaque", "application/octet-stream")
    assert unknown.content_type == "application/octet-stream"


def test_a_header_that_claims_text_for_an_image_is_overruled_but_a_plausible_header_stands() -> None:
    wrong = fetched(png_bytes(), "text/html")
    assert (wrong.content_type, wrong.declared_type, wrong.charset) == ("image/png", "text/html", None)
    assert effective_media_type("application/json", b'{"a": 1}') == ("application/json", "header")
    assert effective_media_type("text/plain", b"<html><body>x</body></html>") == ("text/plain", "header")


def test_charset_comes_from_the_header_then_the_meta_tag_then_detection() -> None:
    french = "<html><head><title>Café</title></head><body><p>Une crème brûlée à la française, très réussie."
    from_header = fetched(french.encode("cp1252"), "text/html", "windows-1252")
    assert (from_header.charset, from_header.charset_source) == ("cp1252", "header")
    meta = f'<html><head><meta charset="iso-8859-1"></head><body>{french}</body></html>'.encode("latin-1")
    from_meta = fetched(meta, "text/html", None)
    assert (from_meta.charset, from_meta.charset_source) == ("cp1252", "meta")  # browsers read latin-1 as cp1252
    wrong_header = fetched(french.encode("cp1252") * 20, "text/html", "utf-8")  # not valid UTF-8
    assert wrong_header.charset_source == "detected"
    assert wrong_header.body is not None and "crème" in wrong_header.body.decode(wrong_header.charset or "")


def test_failed_records_and_binary_bodies_get_no_charset() -> None:
    failed = FetchResult("r", "https://example.org/x", FetchStatus.HTTP_ERROR, http_status=404)
    describe_content(failed)
    assert failed.charset is None and failed.content_type is None
    assert fetched(gzip.compress(b"x" * 100), "application/gzip").charset is None


ARTICLE = (
    "<html><head>{meta}<title>Café society</title></head><body><p>Une crème brûlée à la française, très réussie. "
    + "Le chef Hélène Lefèvre a présenté son menu d'été, garni de pêches et de noisettes grillées. " * 8
    + "</p></body></html>"
)


def test_a_utf8_page_with_one_stray_byte_is_decoded_as_its_meta_tag_declares_with_that_byte_replaced() -> None:
    body = ARTICLE.format(meta='<meta charset="UTF-8">').encode("utf-8").replace(b"society", b"soci\xffety")
    result = fetched(body, "text/html", None)
    assert (result.charset, result.charset_source) == ("utf-8", "meta, 1 invalid byte sequence replaced")
    text = decode_body(body, None).text
    assert "soci\ufffdety" in text and "crème brûlée" in text and "Hélène Lefèvre" in text


def test_a_utf8_page_with_a_few_stray_bytes_is_decoded_as_its_header_declares() -> None:
    body = ARTICLE.format(meta="").encode("utf-8").replace(b"grill", b"gr\x80ill", 2).replace(b"Caf", b"C\xfeaf")
    decoded = decode_body(body, "utf-8")
    assert (decoded.encoding, decoded.described_source) == ("utf-8", "header, 3 invalid byte sequences replaced")
    assert "d'été" in decoded.text and "pêches" in decoded.text


def test_a_utf8_page_with_many_stray_bytes_falls_back_to_detection() -> None:
    body = ARTICLE.format(meta='<meta charset="utf-8">').encode("utf-8").replace(b"e ", b"e\xff ")
    assert body.count(b"\xff") > MAX_REPLACED_SEQUENCES
    assert fetched(body, "text/html", "utf-8").charset_source == "detected"


def test_a_windows_1252_page_labelled_utf8_is_still_detected_as_cp1252() -> None:
    body = ARTICLE.format(meta='<meta charset="utf-8">').encode("cp1252")
    result = fetched(body, "text/html", "utf-8")
    assert (result.charset, result.charset_source) == ("cp1252", "detected")
    assert "Hélène Lefèvre" in decode_body(body, "utf-8").text
