"""Fixtures for the classify tests: the bundled sample site on loopback and a way to fetch its pages."""

from collections.abc import Callable, Iterator

import httpx
import pytest

from content_pipeline.classify.models import FetchedPage
from content_pipeline.sample_site.server import serve_sample_site


def page_from_response(response: httpx.Response) -> FetchedPage:
    """What the fetch stage hands to classify: media type and charset split out of the Content-Type header."""
    media, _, params = response.headers.get("content-type", "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip('"') or None
    return FetchedPage(
        url=str(response.request.url),
        final_url=str(response.url),
        content_type=media.strip().lower(),
        body=response.content,
        charset=charset,
    )


@pytest.fixture(scope="session")
def sample_site() -> Iterator[str]:
    with serve_sample_site() as base_url:
        yield base_url


@pytest.fixture(scope="session")
def fetch(sample_site: str) -> Iterator[Callable[[str], FetchedPage]]:
    """Fetch a sample-site path (or absolute URL) into a FetchedPage; fails the test on a non-200 answer."""
    with httpx.Client(base_url=sample_site, timeout=10) as client:

        def _fetch(path_or_url: str) -> FetchedPage:
            response = client.get(path_or_url)
            assert response.status_code == 200, f"{path_or_url}: HTTP {response.status_code}"
            return page_from_response(response)

        yield _fetch


def make_page(
    body: bytes | str,
    content_type: str = "text/html",
    url: str = "https://example.com/page",
    charset: str | None = None,
) -> FetchedPage:
    """A fetched page built in the test, for cases the sample site does not need to serve."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return FetchedPage(url=url, final_url=url, content_type=content_type, body=data, charset=charset)
