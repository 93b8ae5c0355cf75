"""Accuracy, macro-F1 and speed of the local categorize provider on AG News, BBC News and Reuters R8 (run by hand).

Each data set is scored with its class names and a one-line description written here from the class name alone,
three ways, measured in the same run: the bare wordllama model (each text's embedding against each
"Name: description" embedding: the baseline), the project's provider with those descriptions only, and the provider
with its categories fitted to the data set as it fits them to a day's documents (day_adaptation.py). Then the
provider's speed on 4,000-character articles and the peak RSS. The data is read in place, never copied:

    uv run python bench/categorize.py [--limit 2000] [--datasets ag_news,bbc,r8]
    CONTENT_PIPELINE_DATA_DIR=/path/to/data uv run python bench/categorize.py

Expected layout: <data>/ag_news/{test.csv,classes.txt}, <data>/bbc/<class>/*.txt (title on the first line),
<data>/r8/test.tsv (label, a tab, the text).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import resource
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from content_pipeline.categorize.local_provider import (
    LOCAL_MODEL_NAME,
    LocalEmbeddingProvider,
    LocalSettings,
    load_wordllama,
)
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.taxonomy import Category, Taxonomy

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"

# Descriptions written from the class names alone, once, before any result was seen: no entity lists, no words
# picked from the data sets' texts.
AG_NEWS = {
    "World": "World news: international affairs, governments and politics.",
    "Sports": "Sports news: games, teams and athletes.",
    "Business": "Business news: companies, markets and the economy.",
    "Sci/Tech": "Science and technology news.",
}
BBC = {
    "business": "Business news: companies, markets and the economy.",
    "entertainment": "Entertainment news: film, music, television and celebrities.",
    "politics": "Politics news: government, parliament and elections.",
    "sport": "Sport news: games, teams and athletes.",
    "tech": "Technology news: computers, the internet and gadgets.",
}
R8 = {  # Reuters' topic codes, spelled out
    "acq": "Acquisitions: companies buying or merging with other companies.",
    "crude": "Crude oil: oil production, prices and oil companies.",
    "earn": "Earnings: company profits, losses and results.",
    "grain": "Grain: wheat, corn and other crops, harvests and grain trade.",
    "interest": "Interest rates: central banks and the cost of borrowing.",
    "money-fx": "Money and foreign exchange: currencies, exchange rates and money markets.",
    "ship": "Shipping: ships, ports and freight.",
    "trade": "Trade: imports, exports, tariffs and trade deals between countries.",
}


@dataclass
class Dataset:
    name: str
    descriptions: dict[str, str]
    docs: list[Document]
    labels: list[str]


def load_ag_news(root: Path, limit: int | None) -> Dataset:
    classes = (root / "ag_news" / "classes.txt").read_text().split()
    docs, labels = [], []
    with (root / "ag_news" / "test.csv").open(newline="", encoding="utf-8") as f:
        for i, (label, title, text) in enumerate(csv.reader(f)):
            docs.append(Document(f"ag-{i}", "article", title, text.replace("\\", " ")))
            labels.append(classes[int(label) - 1])
    docs, labels = _sample(docs, labels, limit)
    return Dataset("AG News", {c: AG_NEWS[c] for c in classes}, docs, labels)


def load_bbc(root: Path, limit: int | None) -> Dataset:
    docs, labels = [], []
    for folder in sorted(p for p in (root / "bbc").iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            title, _, body = file.read_text(encoding="utf-8", errors="replace").partition("\n")
            docs.append(Document(f"bbc-{folder.name}-{file.stem}", "article", title, body.strip()))
            labels.append(folder.name)
    docs, labels = _sample(docs, labels, limit)
    return Dataset("BBC News", {c: BBC[c] for c in sorted(set(labels))}, docs, labels)


def load_r8(root: Path, limit: int | None) -> Dataset:
    docs, labels = [], []
    lines = (root / "r8" / "test.tsv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        label, _, text = line.partition("\t")
        docs.append(Document(f"r8-{i}", "article", "", text))
        labels.append(label)
    docs, labels = _sample(docs, labels, limit)
    return Dataset("R8", {c: R8[c] for c in sorted(set(labels))}, docs, labels)


def _sample(docs: list[Document], labels: list[str], limit: int | None) -> tuple[list[Document], list[str]]:
    if limit is None or limit >= len(docs):
        return docs, labels
    keep = sorted(random.Random(0).sample(range(len(docs)), limit))
    return [docs[i] for i in keep], [labels[i] for i in keep]


def macro_f1(truth: list[str], pred: list[str | None]) -> float:
    scores = []
    for c in sorted(set(truth)):
        tp = sum(t == c and p == c for t, p in zip(truth, pred, strict=True))
        fp = sum(t != c and p == c for t, p in zip(truth, pred, strict=True))
        fn = sum(t == c and p != c for t, p in zip(truth, pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


@dataclass
class Figures:
    accuracy: float
    macro_f1: float
    docs_per_s: float
    uncertain: list[bool] | None = None  # per document: the provider marked its answer uncertain
    predicted: list[str | None] | None = None


def figures(data: Dataset, predicted: list[str | None], elapsed: float) -> Figures:
    accuracy = sum(p == t for p, t in zip(predicted, data.labels, strict=True)) / len(data.labels)
    return Figures(accuracy, macro_f1(data.labels, predicted), len(data.docs) / elapsed)


def share_right(right: list[bool]) -> str:
    return f"{sum(right) / len(right):.1%}" if right else "-"


def uncertain_line(data: Dataset, predicted: list[str | None], uncertain: list[bool]) -> str:
    """How many answers were marked uncertain, and how often each group was right."""
    right = [p == t for p, t in zip(predicted, data.labels, strict=True)]
    marked = [r for r, u in zip(right, uncertain, strict=True) if u]
    sure = [r for r, u in zip(right, uncertain, strict=True) if not u]
    return (
        f"uncertain (confidence < {LocalSettings().uncertain_below}): {len(marked)} of {len(right)} "
        f"({len(marked) / len(right):.1%}), right {share_right(marked)}; the others right {share_right(sure)}"
    )


def taxonomy_of(data: Dataset) -> Taxonomy:
    return Taxonomy.from_categories(Category(n, d) for n, d in data.descriptions.items())


def bare_wordllama(data: Dataset) -> Figures:
    """The packaged model alone: each text's embedding against each "Name: description" embedding."""
    model = load_wordllama()
    names = list(data.descriptions)
    labels = model.embed([f"{n}: {d}" for n, d in data.descriptions.items()], norm=True)
    started = time.perf_counter()
    texts = model.embed([f"{doc.title}\n{doc.text}".strip() for doc in data.docs], norm=True)
    predicted: list[str | None] = [names[int(i)] for i in (texts @ labels.T).argmax(axis=1)]
    return figures(data, predicted, time.perf_counter() - started)


def provider(data: Dataset, fit_to_day: bool) -> Figures:
    """The project's local provider, its categories fitted to the data set as to a day's documents, or not."""
    local = LocalEmbeddingProvider(taxonomy_of(data))
    _ = local.label_vectors  # the model loaded and the descriptions embedded before the clock starts
    started = time.perf_counter()
    if fit_to_day:
        local.fit_to(lambda: iter(data.docs))
    results = local.categorize(data.docs)
    elapsed = time.perf_counter() - started
    assert {r.status for r in results} == {"ok"}, Counter(r.status for r in results)
    found = figures(data, [r.category for r in results], elapsed)
    found.uncertain = ["uncertain:" in r.reason for r in results]
    found.predicted = [r.category for r in results]
    return found


def other_languages(data_dir: Path) -> str:
    """The extraction benchmark's articles by detected language: how many the provider marks as low confidence, and
    the median confidence of English and of other pages (no labels: their accuracy is not known)."""
    import json
    import statistics

    from content_pipeline.categorize.taxonomy import load_taxonomy
    from content_pipeline.classify.language import detect_language

    truth = json.loads((data_dir / "article-extraction-benchmark" / "ground-truth.json").read_text(encoding="utf-8"))
    docs = []
    for key, item in truth.items():
        text = str(item.get("articleBody") or "")
        docs.append(Document(key, "article", "", text, language=detect_language(text)[0]))
    local = LocalEmbeddingProvider(load_taxonomy())
    local.fit_to(lambda: iter(docs))
    answers = local.categorize(docs)
    english = [a.confidence or 0.0 for d, a in zip(docs, answers, strict=True) if d.language == "en"]
    others = [(d.language, a) for d, a in zip(docs, answers, strict=True) if d.language not in (None, "en")]
    languages = Counter(language for language, _ in others)
    marked = sum("low confidence" in a.reason for _, a in others)
    median = statistics.median([a.confidence or 0.0 for _, a in others]) if others else 0.0
    return (
        f"extraction benchmark, bundled taxonomy: {len(english)} English pages (median confidence "
        f"{statistics.median(english):.2f}), {len(others)} in other languages {dict(languages.most_common())} "
        f"(median confidence {median:.2f}), {marked} of them marked low confidence"
    )


def long_articles(bbc: Dataset, chars: int, count: int) -> Dataset:
    """`count` articles of about `chars` characters: BBC texts joined in turn (the length the speed target is for)."""
    docs: list[Document] = []
    labels: list[str] = []
    i = 0
    while len(docs) < count:
        parts: list[str] = []
        while sum(len(p) for p in parts) < chars:
            parts.append(bbc.docs[i % len(bbc.docs)].text)
            i += 1
        text = " ".join(parts)[:chars]
        docs.append(Document(f"long-{len(docs)}", "article", bbc.docs[i % len(bbc.docs)].title, text))
        labels.append(bbc.labels[i % len(bbc.docs)])
    return Dataset(f"{chars}-char", bbc.descriptions, docs, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CONTENT_PIPELINE_DATA_DIR", DEFAULT_DATA_DIR)),
        help="folder holding ag_news/, bbc/ and r8/ (env CONTENT_PIPELINE_DATA_DIR; default ../shared/data)",
    )
    parser.add_argument("--limit", type=int, default=None, help="documents per data set (seeded sample)")
    parser.add_argument("--datasets", default="ag_news,bbc,r8", help="comma list of ag_news, bbc, r8")
    parser.add_argument("--speed-docs", type=int, default=2000, help="4,000-character articles timed (0: none)")
    args = parser.parse_args()

    loaders = {"ag_news": load_ag_news, "bbc": load_bbc, "r8": load_r8}
    print(f"local provider: {LOCAL_MODEL_NAME}, {os.cpu_count()} CPUs, data {args.data_dir}")
    header = f"{'data set':<9} {'n':>5}  {'categorizer':<34} {'accuracy':>8} {'macro-F1':>8} {'docs/s':>7}"
    print(header)
    print("-" * len(header))
    for key in args.datasets.split(","):
        data = loaders[key.strip()](args.data_dir, args.limit)
        rows = (
            ("bare wordllama (baseline)", bare_wordllama(data)),
            ("provider, descriptions only", provider(data, fit_to_day=False)),
            ("provider, fitted to the set", provider(data, fit_to_day=True)),
        )
        for label, f in rows:
            scores = f"{f.accuracy:>8.1%} {f.macro_f1:>8.3f} {f.docs_per_s:>7.0f}"
            print(f"{data.name:<9} {len(data.docs):>5}  {label:<34} {scores}")
        base, fitted = rows[0][1], rows[2][1]
        assert fitted.uncertain is not None and fitted.predicted is not None
        print(f"{'':<9} {'':>5}  {uncertain_line(data, fitted.predicted, fitted.uncertain)}")
        gain = (fitted.macro_f1 - base.macro_f1) * 100
        verdict = "PASS" if gain >= 5 else "BELOW TARGET"
        print(
            f"{'':<9} {'':>5}  {'fitted - bare':<34} {(fitted.accuracy - base.accuracy) * 100:>+7.1f}p "
            f"{gain:>+7.1f}p   (target: +5 macro-F1 points: {verdict})"
        )
    if (args.data_dir / "article-extraction-benchmark").is_dir():
        print(other_languages(args.data_dir))
    if args.speed_docs:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:  # a fresh process
            speed, peak = child.submit(speed_and_peak, args.data_dir, args.speed_docs).result()
        verdict = "PASS" if speed >= 200 else "BELOW TARGET"
        print(
            f"{args.speed_docs} articles of 4,000 characters, fitted, in a process of their own: {speed:.0f} docs/s on "
            f"one core (target >= 200 on 2 cores: {verdict}); that process's peak RSS {peak:.0f} MiB (target < 1 GiB)"
        )


def speed_and_peak(data_dir: Path, count: int) -> tuple[float, float]:
    """The provider's docs/s on `count` 4,000-character articles fitted to them, and this process's peak RSS (MiB)."""
    long = long_articles(load_bbc(data_dir, None), 4000, count)
    docs_per_s = provider(long, fit_to_day=True).docs_per_s
    return docs_per_s, high_water_mark_mib()


def high_water_mark_mib() -> float:
    """This process's peak RSS since it started (VmHWM: unlike ru_maxrss, it does not count the parent's pages that
    the fork before the child's exec held)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
