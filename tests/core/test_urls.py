import pytest

from content_pipeline.urls import check_url, stable_id


@pytest.mark.parametrize(
    ("raw", "status", "url"),
    [
        ("  https://Example.COM:443/a?b=1#frag ", "ok", "https://example.com/a?b=1"),
        ("http://example.com", "ok", "http://example.com/"),
        ("https://bücher.de/x", "ok", "https://xn--bcher-kva.de/x"),
        ("", "empty_url", ""),
        ("/relative/x", "relative_url", "/relative/x"),
        ("www.example.com/x", "relative_url", "www.example.com/x"),
        ("javascript:alert(1)", "unsupported_scheme", "javascript:alert(1)"),
        ("ftp://example.com/f", "unsupported_scheme", "ftp://example.com/f"),
        ("http:///nohost", "invalid_url", "http:///nohost"),
        ("https://exa mple.com/", "invalid_url", "https://exa mple.com/"),
        ("https://user:secret@example.com/", "invalid_url", "https://user:secret@example.com/"),
    ],
)
def test_urls_are_checked_and_normalized(raw: str, status: str, url: str) -> None:
    checked = check_url(raw)
    assert (checked.status.value, checked.url) == (status, url)
    assert (checked.reason == "") == (status == "ok")


def test_stable_id_is_stable_and_distinguishes_inputs() -> None:
    assert stable_id("url", "https://a.org/") == stable_id("url", "https://a.org/")
    assert stable_id("url", "https://a.org/") != stable_id("url", "https://b.org/")
    assert len(stable_id("x")) == 16


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("https://faß.de/", "https://xn--fa-hia.de/"),  # IDNA 2008: not fass.de, another domain
        ("https://FASS.de/", "https://fass.de/"),
        ("https://ΣΊΣΥΦΟΣ.gr/", "https://xn--kxa6akbbkh.gr/"),
        ("https://例え.テスト/", "https://xn--r8jz45g.xn--zckzah/"),
        ("http://i❤.ws/", "http://xn--i-7iq.ws/"),  # refused by IDNA 2008, kept through IDNA 2003 as yarl does
    ],
)
def test_international_host_names_are_encoded_with_idna_2008(raw: str, url: str) -> None:
    assert check_url(raw).url == url


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("http://example.com/a%7eb/../c", "http://example.com/c"),
        ("http://example.com/a%7Eb/./c", "http://example.com/a~b/c"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("http://example.com/../../x", "http://example.com/x"),
        ("http://example.com/%2e%2e/x?q=%41%2F%7e", "http://example.com/x?q=A%2F~"),
        ("http://example.com/a%2Fb%20c", "http://example.com/a%2Fb%20c"),  # reserved and other escapes stay
        ("http://example.com/.well-known/x..y", "http://example.com/.well-known/x..y"),
    ],
)
def test_paths_lose_dot_segments_and_escaped_unreserved_characters(raw: str, url: str) -> None:
    assert check_url(raw).url == url


def test_two_spellings_of_one_page_get_one_record_id() -> None:
    first, second = check_url("https://example.com/a%7eb/../c?x=%7e"), check_url("https://EXAMPLE.com/c?x=~")
    assert stable_id("url", first.url) == stable_id("url", second.url)


def test_an_ordinary_url_keeps_its_record_id() -> None:
    # the id computed before IDNA 2008 and RFC 3986 normalisation: caches and reruns are keyed by it
    checked = check_url("https://www.bbc.co.uk/news/business-12345678?ref=home")
    assert stable_id("url", checked.url) == "4486d87386c4d2e6"
