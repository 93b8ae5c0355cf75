"""article_metadata reads what trafilatura's own metadata extraction reads (minus the licence), at a lower cost."""

from collections.abc import Callable
from pathlib import Path

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from content_pipeline.classify.article_metadata import article_metadata
from content_pipeline.classify.models import FetchedPage
from content_pipeline.classify.processors.article import ArticleProcessor
from content_pipeline.sample_site.server import sample_urls
from tests.core.classify.conftest import make_page

Fetch = Callable[[str], FetchedPage]
FIXTURE_PAGES = sorted((Path(__file__).parents[2] / "fixtures" / "pages").rglob("*.htm*"))
TEXT = "<p>" + "The ferry timetable changes on Monday, the harbour board said after a long meeting. " * 12 + "</p>"


def page(head: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}</head><body><article><h1>Ferries</h1>{TEXT}</article>{body}</body></html>"
    )


SYNTHETIC = {
    "category and tag links": page(
        "<title>Ferries | Harbour Times</title>",
        '<div class="entry-meta"><a href="/category/transport/">Transport</a></div>'
        '<div class="tags"><a href="/tag/ferries/">ferries</a><a href="/tags/harbour/">harbour</a></div>',
    ),
    "section meta, no category link": page(
        '<title>Ferries</title><meta property="article:section" content="Local news">',
        '<div class="tags"><a href="/topics/ferries/">ferries</a></div>',
    ),
    "links that only look like tags": page(
        "<title>Ferries</title>",
        '<div class="tags"><a href="/tagesschau/">news</a></div><p class="postmeta"><a href="/cat/x">x</a></p>',
    ),
    "licence in the footer": page(
        '<title>Ferries</title><meta name="author" content="Ana Costa">',
        '<footer><a rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">CC BY-SA 4.0</a></footer>',
    ),
    "json-ld and opengraph": page(
        '<meta property="og:title" content="Ferry timetable"><meta property="og:site_name" content="Harbour Times">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ferry timetable", '
        '"datePublished": "2026-03-02", "author": {"@type": "Person", "name": "Ben Adler"}, '
        '"articleSection": "Transport", "keywords": ["ferries", "harbour"]}</script>',
        "",
    ),
}


def theirs_and_ours(html: str, url: str) -> tuple[dict[str, object], dict[str, object]]:
    """Every metadata field of trafilatura's extract_metadata and of article_metadata, licence and trees left out."""
    options = Extractor(output_format="python", precision=True, comments=False, url=url)
    tree = load_html(html)
    if tree is None:  # not HTML to trafilatura: neither reads metadata (the processor then keeps none)
        return {}, {}
    ours = article_metadata(tree, url, options.date_params).as_dict()
    theirs = extract_metadata(load_html(html), url, options.date_params, options.fast).as_dict()
    skipped = {"license", "body", "commentsbody"}  # the licence is not looked for; the trees are empty elements
    assert skipped < theirs.keys()
    return {k: v for k, v in theirs.items() if k not in skipped}, {k: v for k, v in ours.items() if k not in skipped}


@pytest.mark.parametrize("html", SYNTHETIC.values(), ids=SYNTHETIC.keys())
def test_metadata_is_what_trafilatura_reads_on_pages_with_and_without_category_and_tag_links(html: str) -> None:
    theirs, ours = theirs_and_ours(html, "https://harbour.example/news/ferries")
    assert ours == theirs


def test_metadata_is_what_trafilatura_reads_on_the_sample_site_and_fixture_pages(
    sample_site: str, fetch: Fetch
) -> None:
    pages = [(fetch(url).body, url) for url, kind in sample_urls(sample_site) if kind != "broken"]
    pages += [(path.read_bytes(), f"https://fixtures.example/{path.name}") for path in FIXTURE_PAGES]
    compared = 0
    for body, url in pages:
        theirs, ours = theirs_and_ours(body.decode("utf-8", "replace"), url)
        assert ours == theirs, url
        compared += bool(theirs)
    assert compared > 10


@pytest.mark.parametrize("html", SYNTHETIC.values(), ids=SYNTHETIC.keys())
def test_the_article_processor_keeps_what_trafilaturas_bare_extraction_gives(html: str) -> None:
    url = "https://harbour.example/news/ferries"
    extraction = ArticleProcessor().process(make_page(html, url=url))
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    assert isinstance(document, trafilatura.settings.Document)
    assert (extraction.text, extraction.title, extraction.author, extraction.published, extraction.site_name) == (
        document.text,
        document.title,
        document.author,
        document.date,
        document.sitename,
    )
    assert extraction.details["categories"] == (document.categories or [])
    assert extraction.details["tags"] == (document.tags or [])
