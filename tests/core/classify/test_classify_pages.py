"""classify_pages: the same answers, in the same order, whether it runs inline or over a process pool."""

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from content_pipeline.classify.dispatcher import classify_pages
from content_pipeline.classify.models import FetchedPage
from content_pipeline.sample_site.server import sample_urls
from tests.core.classify.conftest import make_page

Fetch = Callable[[str], FetchedPage]


def test_a_process_pool_gives_the_same_results_in_the_same_order_as_inline(sample_site: str, fetch: Fetch) -> None:
    site_pages = [fetch(url) for url, kind in sample_urls(sample_site) if kind != "broken"]
    extra = [make_page(f"<html><body><p>page {i}</p></body></html>", url=f"https://e.com/{i}") for i in range(10)]
    pages = (site_pages + extra) * 2

    inline = classify_pages(pages, None, workers=1)
    pooled = classify_pages(pages, None, workers=2, inline_below=len(pages))

    assert [asdict(e) for e in pooled] == [asdict(e) for e in inline]
    assert [e.kind.value for e in pooled[: len(site_pages)]] == [
        kind for _, kind in sample_urls(sample_site) if kind != "broken"
    ]


def test_a_pool_worker_uses_the_rules_file_it_was_given(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- processor: social\n  domains: [forum.example]\n", encoding="utf-8")
    pages = [make_page("<html><body><p>hi</p></body></html>", url=f"https://forum.example/t/{i}") for i in range(40)]
    results = classify_pages(pages, rules, workers=2, inline_below=len(pages))
    assert {e.processor for e in results} == {"social"}


def test_an_empty_batch_gives_no_results() -> None:
    assert classify_pages([], None, workers=4) == []
