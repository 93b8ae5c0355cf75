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
