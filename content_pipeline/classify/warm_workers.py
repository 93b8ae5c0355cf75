"""Warms a classify worker as it starts: it classifies one small built-in page, so py3langid's model and
trafilatura's and htmldate's lazy set-up (~0.8 s) are loaded while the pool starts, not on a real page's clock,
and then freezes what is loaded out of the garbage collector's way. Warming is an optimisation: a failure is ignored.
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


def warm_up(dispatcher: Dispatcher) -> None:
    """Classify the built-in page once in this process, then keep the garbage collector off what is loaded so far
    (py3langid's model alone is ~100,000 Python objects, which every full collection would walk again)."""
    with suppress(Exception):  # an optimisation only: the first real page would load the same
        dispatcher.classify(WARM_UP_PAGE)
    gc.collect()
    gc.freeze()
