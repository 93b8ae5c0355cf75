"""Warms the forkserver that classify workers fork from; imported there only (ClassifyPool's preload list).

Importing it classifies one small built-in page, so the forkserver holds what the first page of every worker
would otherwise load (py3langid's model, trafilatura's and htmldate's lazy set-up: ~0.8 s a worker), and freezes the
garbage collector's view of it, so forked workers share those pages of memory instead of copying them. A pool then
starts, and restarts after a crash, in the time a fork takes. Warming is an optimisation: a failure is ignored.
"""

import gc
from contextlib import suppress

from content_pipeline.classify.dispatcher import Dispatcher
from content_pipeline.classify.models import FetchedPage

_PARAGRAPH = "The harbour board met on Thursday to discuss dredging the channel, new moorings and the timetable. "
WARM_UP_PAGE = FetchedPage(
    url="https://harbour.example/news/1",
    final_url="https://harbour.example/news/1",
    content_type="text/html",
    body=(
        '<!DOCTYPE html><html lang="en"><head><title>Harbour news</title>'
        '<meta property="og:title" content="Harbour news"><script type="application/ld+json">'
        '{"@type": "NewsArticle", "headline": "Harbour news", "datePublished": "2026-01-05"}</script></head>'
        f"<body><article><h1>Harbour news</h1><p>{_PARAGRAPH * 6}</p></article></body></html>"
    ).encode(),
)


def warm_up() -> None:
    """Classify the built-in page once in this process; then keep the collector off what is loaded so far."""
    with suppress(Exception):  # an optimisation only: the workers load what they need themselves
        Dispatcher.from_rules_file(None).classify(WARM_UP_PAGE)
    gc.freeze()


warm_up()
