"""Speed of the local categorize provider against the bare wordllama model it wraps, on article-length texts.

Run by hand (the data is read in place, never copied):

    uv run python bench/categorize_speed.py [--docs 4000] [--chunk 1000] [--rounds 2]
    CONTENT_PIPELINE_DATA_DIR=/path/to/data uv run python bench/categorize_speed.py

Articles: BBC News bodies (and AG News descriptions), several of one class joined into one text of 500-2000 words
(seeded), titled with the first one's title: every text differs, so no answer is a cache hit.

Measured in the same process, on the same texts, each round in this order:
  (a) the bare model: `WordLlama.embed` of each document's title + text cut as the provider cuts it
      (`LocalSettings.max_text_chars`), sorted by length (less padding), once per batch size of `--bare-batches`;
      the fastest counts (the model's default is 64);
  (b) our provider: `LocalEmbeddingProvider.categorize` (category, tags, summary, entities note), called per chunk
      of `--chunk` documents as the categorize stage calls it;
  (c) the whole path with the AI cache: `CachedProvider` over (b), with a fresh SQLite cache file per round.
(b) and (c) each start with a new provider, so no word is remembered from an earlier measurement, as in a fresh run.
Each line shows docs/s, the ratios b/a and c/a (target: c/a >= 0.8), the CPU time per document and the cores used
(CPU time / wall time). The answers of (b) and (c) are checked to be the same in every round (same text, same
answer).

Memory: then, for each size of `--memory-chunks`, a fresh process loads the model and the articles and makes one
call over that many documents; it prints the peak RSS above the RSS before the call (sampled every 10 ms). Flat
across sizes means memory does not grow with the documents per call.
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import psutil

from content_pipeline.categorize.ai_cache import AiCache
from content_pipeline.categorize.cached_provider import CachedProvider
from content_pipeline.categorize.local_provider import LocalEmbeddingProvider, load_wordllama
from content_pipeline.categorize.models import Categorization, Document
from content_pipeline.categorize.taxonomy import load_taxonomy

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
RSS_SAMPLE_S = 0.01
T = TypeVar("T")


@dataclass(frozen=True)
class Measure:
    docs_per_s: float
    cpu_ms_per_doc: float
    peak_rss_mib: float  # above the RSS when the measurement started


def read_sources(root: Path) -> dict[str, list[tuple[str, str]]]:
    """(title, body) pairs per "<data set>/<class>": BBC News files and AG News rows."""
    sources: dict[str, list[tuple[str, str]]] = {}
    for folder in sorted(p for p in (root / "bbc").iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            title, _, body = file.read_text(encoding="utf-8", errors="replace").partition("\n")
            sources.setdefault(f"bbc/{folder.name}", []).append((title.strip(), body.strip()))
    classes = (root / "ag_news" / "classes.txt").read_text().split()
    with (root / "ag_news" / "test.csv").open(newline="", encoding="utf-8") as f:
        for label, title, text in csv.reader(f):
            sources.setdefault(f"ag_news/{classes[int(label) - 1]}", []).append((title, text.replace("\\", " ")))
    return sources


def build_articles(root: Path, count: int, min_words: int, max_words: int, seed: int) -> list[Document]:
    """`count` distinct articles of min_words..max_words words, each joined from pieces of one class."""
    sources = read_sources(root)
    groups = sorted(sources)
    bbc = [g for g in groups if g.startswith("bbc/")]
    rng = random.Random(seed)
    docs: list[Document] = []
    seen: set[str] = set()
    while len(docs) < count:
        i = len(docs)
        group = rng.choice(bbc if i % 4 else groups)  # three in four from BBC bodies (the longer, realer articles)
        pieces = sources[group]
        target = rng.randint(min_words, max_words)
        title = ""
        paragraphs: list[str] = []
        words = 0
        while words < target:
            piece_title, body = rng.choice(pieces)
            title = title or piece_title
            for paragraph in body.split("\n\n") if group.startswith("bbc/") else [body]:
                paragraphs.append(" ".join(paragraph.split()))
                words += len(paragraph.split())
                if words >= target:
                    break
        text = "\n\n".join(paragraphs)
        if text not in seen:  # one long piece can make the same article twice
            seen.add(text)
            docs.append(Document(f"a-{i}", "article", title, text, language="en"))
    return docs


def measure(work: Callable[[], T], count: int) -> tuple[Measure, T]:
    """docs/s, CPU per doc and peak RSS growth of one call of `work` over `count` documents, and what it returned."""
    process = psutil.Process()
    start_rss = process.memory_info().rss
    peak = [start_rss]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(RSS_SAMPLE_S):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu, wall = process.cpu_times(), time.perf_counter()
    try:
        result = work()
    finally:
        elapsed = time.perf_counter() - wall
        cpu_after = process.cpu_times()
        done.set()
        sampler.join()
    cpu_s = (cpu_after.user + cpu_after.system) - (cpu.user + cpu.system)
    peak[0] = max(peak[0], process.memory_info().rss)
    return Measure(count / elapsed, cpu_s * 1000 / count, (peak[0] - start_rss) / 2**20), result


def bare_texts(docs: Sequence[Document], max_chars: int) -> list[str]:
    """What the bare model embeds: title and text cut the way the provider cuts them."""
    return [f"{doc.title.strip()}\n{doc.text[:max_chars]}".strip() for doc in docs]


def bare_embed(texts: list[str], batch_size: int) -> None:
    wl = load_wordllama()
    wl.embed(sorted(texts, key=len), batch_size=batch_size)


def fastest_bare(texts: list[str], batch_sizes: list[int]) -> tuple[Measure, int]:
    """The bare model at its best batch size among `batch_sizes` (and that size)."""
    runs = [(measure(functools.partial(bare_embed, texts, size), len(texts))[0], size) for size in batch_sizes]
    return max(runs, key=lambda run: run[0].docs_per_s)


def in_chunks(
    categorize: Callable[[Sequence[Document]], list[Categorization]], docs: list[Document], chunk: int
) -> Callable[[], list[Categorization]]:
    def run() -> list[Categorization]:
        out: list[Categorization] = []
        for start in range(0, len(docs), chunk):
            out.extend(categorize(docs[start : start + chunk]))
        return out

    return run


def without_cache_field(answers: list[Categorization]) -> list[Categorization]:
    return [replace(a, cache=None) for a in answers]


def cores(m: Measure) -> float:
    return m.cpu_ms_per_doc * m.docs_per_s / 1000


def memory_probe(args: argparse.Namespace) -> None:
    """One call over `args.memory_probe` documents in this fresh process; prints the peak RSS above the start."""
    docs = build_articles(args.data_dir, args.memory_probe, args.min_words, args.max_words, args.seed)
    taxonomy = load_taxonomy()
    provider = LocalEmbeddingProvider(taxonomy)
    if args.probe_what == "bare":
        texts = bare_texts(docs, provider.settings.max_text_chars)
        bare_embed(texts[:50], 64)
        m, _ = measure(functools.partial(bare_embed, texts, 64), len(docs))
    else:
        provider.categorize(docs[:50])
        with tempfile.TemporaryDirectory() as tmp:
            cache = AiCache(Path(tmp) / "ai.sqlite")
            target = CachedProvider(provider, cache, taxonomy.version) if args.probe_what == "cached" else provider
            m, _ = measure(functools.partial(target.categorize, docs), len(docs))
            cache.close()
    print(f"{m.peak_rss_mib:.0f}")


def memory_table(args: argparse.Namespace) -> None:
    sizes = [int(x) for x in args.memory_chunks.split(",") if x]
    if not sizes:
        return
    print(f"\npeak RSS above the start of one call, MiB (fresh process each): {'docs per call':>13}", end="")
    print("".join(f" {n:>6}" for n in sizes))
    for what in ("bare", "provider", "cached"):
        peaks = []
        for n in sizes:
            command = [sys.executable, __file__, "--data-dir", str(args.data_dir), "--memory-probe", str(n)]
            command += ["--probe-what", what, "--seed", str(args.seed)]
            done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
            peaks.append(done.stdout.strip().splitlines()[-1])
        label = {"bare": "a: bare model, batch 64", "provider": "b: provider", "cached": "c: provider + AI cache"}
        print(f"{label[what]:>76}" + "".join(f" {p:>6}" for p in peaks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CONTENT_PIPELINE_DATA_DIR", DEFAULT_DATA_DIR)),
        help="folder holding ag_news/ and bbc/ (env CONTENT_PIPELINE_DATA_DIR; default ../shared/data)",
    )
    parser.add_argument("--docs", type=int, default=4000, help="articles per round")
    parser.add_argument("--chunk", type=int, default=1000, help="documents per categorize call (the stage's chunk)")
    parser.add_argument("--min-words", type=int, default=500)
    parser.add_argument("--max-words", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="measure everything this many times, one after another")
    parser.add_argument("--bare-batches", default="4,16,64", help="batch sizes tried for the bare model (default 64)")
    parser.add_argument("--memory-chunks", default="500,2000", help="docs per call of the memory table ('' skips it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-probe", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--probe-what", default="provider", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args)
        return

    docs = build_articles(args.data_dir, args.docs, args.min_words, args.max_words, args.seed)
    words = sorted(len(d.text.split()) for d in docs)
    taxonomy = load_taxonomy()
    provider = LocalEmbeddingProvider(taxonomy)
    texts = bare_texts(docs, provider.settings.max_text_chars)
    print(
        f"{len(docs)} articles of {words[0]}-{words[-1]} words (median {words[len(words) // 2]}), "
        f"cut at {provider.settings.max_text_chars} characters; {args.chunk} per call; {os.cpu_count()} CPUs; "
        f"taxonomy of {len(taxonomy.names)} categories"
    )
    in_chunks(provider.categorize, docs[:50], args.chunk)()  # warm-up: imports, stop words, first allocations
    batch_sizes = [int(x) for x in args.bare_batches.split(",")]
    header = (
        f"{'round':>5}  {'a: bare docs/s (batch)':>22} {'b: provider':>11} {'c: +cache':>9}  {'b/a':>5} {'c/a':>5}  "
        f"{'CPU ms/doc a/b/c':>17}  {'cores a/b/c':>14}"
    )
    print(header)
    print("-" * len(header))
    reference: list[Categorization] | None = None
    for round_no in range(1, args.rounds + 1):
        a, batch = fastest_bare(texts, batch_sizes)
        b, answers_b = measure(in_chunks(LocalEmbeddingProvider(taxonomy).categorize, docs, args.chunk), len(docs))
        with tempfile.TemporaryDirectory() as tmp:
            cache = AiCache(Path(tmp) / "ai.sqlite")
            cached = CachedProvider(LocalEmbeddingProvider(taxonomy), cache, taxonomy.version)
            c, answers_c = measure(in_chunks(cached.categorize, docs, args.chunk), len(docs))
            stored = len(cache)
            cache.close()
        assert all(x.status == "ok" for x in answers_b), "every article should be answered"
        assert stored == len(docs), f"the cache kept {stored} of {len(docs)} answers"
        assert {x.cache for x in answers_c} == {"miss"}, "a fresh cache has no hits"
        plain = without_cache_field(answers_c)
        assert without_cache_field(answers_b) == plain, "the cached path must answer as the provider does"
        assert reference is None or plain == reference, "the same texts must get the same answers in every round"
        reference = plain
        print(
            f"{round_no:>5}  {a.docs_per_s:>14.0f} ({batch:>3}) {b.docs_per_s:>11.0f} {c.docs_per_s:>9.0f}  "
            f"{b.docs_per_s / a.docs_per_s:>5.2f} {c.docs_per_s / a.docs_per_s:>5.2f}  "
            f"{a.cpu_ms_per_doc:>5.2f}/{b.cpu_ms_per_doc:.2f}/{c.cpu_ms_per_doc:.2f}  "
            f"{cores(a):>4.2f}/{cores(b):.2f}/{cores(c):.2f}"
        )
    sample = reference[0] if reference else None
    if sample is not None:
        print(f"\nfirst answer: {sample.category} ({sample.confidence}); tags {sample.tags}\nsummary: {sample.summary}")
    memory_table(args)


if __name__ == "__main__":
    main()
