"""Main-text quality and speed of the article processor against the bare trafilatura it wraps (run by hand).

Scored on the ScrapingHub article-extraction benchmark (181 news pages), read in place, never copied:

    uv run python bench/extract.py [--data-dir ../shared/data/article-extraction-benchmark] [--limit N]
    CONTENT_PIPELINE_DATA_DIR=/path/to/data uv run python bench/extract.py

Expected layout: <data-dir>/html/<id>.html.gz (utf-8 HTML) and <data-dir>/ground-truth.json ({id: {articleBody}}).

Extractors, run on the same pages in the same process, one after the other:
  - body text (baseline): lxml text_content() of <body> once script/style/noscript/template are dropped;
  - trafilatura.extract(html) with library defaults, with favor_precision=True, and with favor_precision=True plus
    include_comments=False: the settings the article processor passes, so the reference it must keep up with;
  - the processor, PROCESSORS["article"].process(FetchedPage(..., content_type="text/html", charset="utf-8")),
    scored twice: on the text it returns, and on what the pipeline keeps (later stages skip a record whose status is
    not ok, e.g. nothing_useful "too short", so there it counts as no output).
The library and the baseline get the HTML decoded as utf-8 (the benchmark's encoding); the processor gets the bytes.

Quality follows the benchmark's own evaluate.py (scrapinghub/article-extraction-benchmark), minus its bootstrap:
texts are split into \\w+ tokens, and 4-token shingles are counted per page; a page's tp/fp/fn are the overlap of the
two bags of shingles (with counts), normalized to sum to 1; precision is averaged over the pages with output, recall
over all pages (no output scores recall 0), and F1 is the harmonic mean of those two averages.
Speed: time.perf_counter() around the extract/process call only, single process, after an untimed warm-up on the
first pages, with trafilatura's LRU caches reset before each extractor's pass.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.meta import reset_caches

from content_pipeline.classify.models import FetchedPage
from content_pipeline.classify.processors import PROCESSORS
from content_pipeline.status import ClassifyStatus

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
BENCHMARK_FOLDER = "article-extraction-benchmark"
WARM_UP_PAGES = 3  # untimed calls before each extractor's timed pass
SHINGLE_TOKENS = 4  # evaluate.py's ngram_n
TOLERANCE = 0.005  # the processor may trail the library by at most this much F1
WORSE_BY = 0.05  # list pages where the processor's F1 is lower than the library's by more than this
LIBRARY_SETTINGS = {"favor_precision": True, "include_comments": False}  # what ArticleProcessor passes

_TOKEN = re.compile(r"\w+")  # evaluate.py's tokenizer: words only, any script, punctuation dropped


@dataclass(frozen=True)
class Page:
    id: str
    html: str  # decoded as utf-8, for the library and the baseline
    fetched: FetchedPage  # the same bytes, for the processor
    truth: str  # the ground-truth articleBody


class Output(NamedTuple):
    text: str
    status: str = ClassifyStatus.OK.value
    reason: str = ""


Extractor = Callable[[Page], Output]


@dataclass
class Run:
    name: str
    outputs: list[Output]
    ms: list[float]  # per page, same order as the pages


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    empty: int  # pages with no output (no word token)


# ---------------------------------------------------------------------------------------------------------------
# Data


def load_pages(data_dir: Path, limit: int | None) -> list[Page]:
    """The benchmark's pages with their ground truth; a seeded sample of `limit` pages when given."""
    truth: dict[str, dict[str, Any]] = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    files = sorted((data_dir / "html").glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no html/*.html.gz under {data_dir}")
    if limit is not None and limit < len(files):
        files = [files[i] for i in sorted(random.Random(0).sample(range(len(files)), limit))]
    return [_page(file, truth) for file in files]


def _page(file: Path, truth: dict[str, dict[str, Any]]) -> Page:
    page_id = file.name.split(".")[0]
    body = gzip.decompress(file.read_bytes())
    url = str(truth[page_id].get("url") or f"https://example.com/{page_id}")
    fetched = FetchedPage(url=url, final_url=url, content_type="text/html", body=body, charset="utf-8")
    html = body.decode("utf-8", errors="replace")
    return Page(page_id, html, fetched, str(truth[page_id].get("articleBody") or ""))


# ---------------------------------------------------------------------------------------------------------------
# Extractors


def body_text(page: Page) -> Output:
    """Every text of <body>, boilerplate included: the floor an extractor has to beat."""
    tree = lxml.html.document_fromstring(page.html)
    etree.strip_elements(tree, "script", "style", "noscript", "template", with_tail=False)
    body = tree.find("body")
    return Output(str((body if body is not None else tree).text_content()))


def library(**options: Any) -> Extractor:
    """trafilatura.extract on the decoded HTML, with these options on top of the library's defaults."""

    def extract(page: Page) -> Output:
        return Output(trafilatura.extract(page.html, **options) or "")

    return extract


def processor() -> Extractor:
    """The pipeline's article processor, as the dispatcher finds it in the registry."""
    article = PROCESSORS["article"]

    def extract(page: Page) -> Output:
        extraction = article.process(page.fetched)
        return Output(extraction.text or "", str(extraction.status), extraction.reason)

    return extract


def run(name: str, extractor: Extractor, pages: list[Page]) -> Run:
    """Warm up, then time each call on its own; the outputs are kept for scoring."""
    reset_caches()
    for page in pages[:WARM_UP_PAGES]:
        extractor(page)
    outputs, ms = [], []
    for page in pages:
        started = time.perf_counter()
        output = extractor(page)
        ms.append((time.perf_counter() - started) * 1000)
        outputs.append(output)
    return Run(name, outputs, ms)


def kept_by_pipeline(processed: Run, name: str) -> Run:
    """The processor's run as later stages see it: a record whose status is not ok has no text."""
    outputs = [o if o.status == ClassifyStatus.OK else o._replace(text="") for o in processed.outputs]
    return Run(name, outputs, processed.ms)


# ---------------------------------------------------------------------------------------------------------------
# Scoring (evaluate.py of scrapinghub/article-extraction-benchmark)


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    starts = range(max(1, len(tokens) - SHINGLE_TOKENS + 1))
    return Counter(shingle for i in starts if (shingle := tuple(tokens[i : i + SHINGLE_TOKENS])))


def match(truth: str, predicted: str) -> tuple[float, float, float]:
    """tp, fp, fn over the two bags of shingles, normalized so that long pages weigh as much as short ones."""
    true, found = shingles(truth), shingles(predicted)
    tp = sum((true & found).values())
    fp = sum((found - true).values())
    fn = sum((true - found).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def precision_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def recall_score(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def harmonic(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.mean(values) if values else 0.0


def score(pages: list[Page], outputs: list[Output]) -> Score:
    counts = [match(page.truth, output.text) for page, output in zip(pages, outputs, strict=True)]
    precision = _mean(precision_score(*c) for c in counts if c[0] + c[1] > 0)
    recall = _mean(recall_score(*c) for c in counts if c[0] + c[2] > 0)
    empty = sum(not _TOKEN.search(output.text) for output in outputs)
    return Score(precision, recall, harmonic(precision, recall), empty)


def page_f1(page: Page, output: Output) -> float:
    counts = match(page.truth, output.text)
    return harmonic(precision_score(*counts), recall_score(*counts))


# ---------------------------------------------------------------------------------------------------------------
# Report


def print_table(pages: list[Page], runs: list[Run]) -> dict[str, tuple[Score, float]]:
    """One line per run; returns each run's score and mean ms per page."""
    header = f"{'extractor':<46} {'P':>6} {'R':>6} {'F1':>6} {'empty':>5} {'median ms':>9} {'mean ms':>8}"
    print(header)
    print("-" * len(header))
    results = {}
    for r in runs:
        s = score(pages, r.outputs)
        median, mean = statistics.median(r.ms), statistics.mean(r.ms)
        quality = f"{s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.empty:>5}"
        print(f"{r.name:<46} {quality} {median:>9.1f} {mean:>8.1f}")
        results[r.name] = (s, mean)
    return results


def print_statuses(processed: Run) -> None:
    statuses = Counter(o.status for o in processed.outputs)
    reasons = Counter(re.sub(r"\s*\(.*\)$", "", o.reason) for o in processed.outputs if o.status != ClassifyStatus.OK)
    detail = ", ".join(f"{reason or 'no reason'}: {n}" for reason, n in reasons.most_common())
    print(f"processor statuses: {dict(statuses.most_common())}" + (f" ({detail})" if detail else ""))


def print_worse_pages(pages: list[Page], reference: Run, kept: Run) -> None:
    """Pages where the pipeline keeps clearly less of the article than the library extracts."""
    rows = []
    for page, lib, ours in zip(pages, reference.outputs, kept.outputs, strict=True):
        lib_f1, our_f1 = page_f1(page, lib), page_f1(page, ours)
        if our_f1 < lib_f1 - WORSE_BY:
            rows.append((our_f1 - lib_f1, page, lib_f1, our_f1, ours))
    print(f"pages where the processor's F1 (status ok only) is below {reference.name} by > {WORSE_BY}: {len(rows)}")
    for _, page, lib_f1, our_f1, ours in sorted(rows, key=lambda row: row[0]):
        why = f"{ours.status}: {ours.reason}" if ours.reason else ours.status
        print(f"  {page.id[:16]}  F1 {lib_f1:.3f} -> {our_f1:.3f}  [{why}]  {page.fetched.url[:70]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CONTENT_PIPELINE_DATA_DIR", DEFAULT_DATA_DIR)) / BENCHMARK_FOLDER,
        help="the benchmark folder (default $CONTENT_PIPELINE_DATA_DIR or ../shared/data, + /" + BENCHMARK_FOLDER + ")",
    )
    parser.add_argument("--limit", type=int, default=None, help="pages to score (seeded sample; default all)")
    args = parser.parse_args()

    pages = load_pages(args.data_dir, args.limit)
    print(
        f"trafilatura {version('trafilatura')}, lxml {version('lxml')}, {len(pages)} pages, "
        f"{os.cpu_count()} CPUs, data {args.data_dir}"
    )
    reference_name = "trafilatura favor_precision, no comments [1]"
    processed = run("processor: text it returns", processor(), pages)
    runs = [
        run("body text (baseline)", body_text, pages),
        run("trafilatura defaults", library(), pages),
        run("trafilatura favor_precision", library(favor_precision=True), pages),
        run(reference_name, library(**LIBRARY_SETTINGS), pages),
        processed,
        kept_by_pipeline(processed, "processor: status ok only [2]"),
    ]
    results = print_table(pages, runs)
    print("[1] favor_precision=True, include_comments=False: the settings the processor passes to trafilatura")
    print("[2] what later stages use: a record whose status is not ok counts as no output")
    print_statuses(processed)
    print_worse_pages(pages, runs[3], runs[-1])

    (ours, our_ms), (lib, lib_ms) = results[runs[-1].name], results[reference_name]
    print()
    print(f"processor F1 - trafilatura(favor_precision) F1 = {ours.f1 - lib.f1:+.3f}   (rows [2] and [1])")
    print(f"processor ms/page / trafilatura ms/page = {our_ms / lib_ms:.2f}   (mean ms, rows [2] and [1])")
    passed = ours.f1 >= lib.f1 - TOLERANCE
    print(
        f"{'PASS' if passed else 'FAIL'}: the processor must not lose accuracy against the library it wraps "
        f"(F1 {ours.f1:.3f} {'>=' if passed else '<'} {lib.f1:.3f} - {TOLERANCE})"
    )
    if not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
