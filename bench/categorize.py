"""Accuracy, macro-F1 and speed of the local categorize provider on AG News and BBC News (run by hand).

Each data set is scored with its own class names plus one-line descriptions written here, and, as the baseline
measured in the same run, with the bare class names only. The data is read in place, never copied:

    uv run python bench/categorize.py --limit 2000
    CONTENT_PIPELINE_DATA_DIR=/path/to/data uv run python bench/categorize.py

Expected layout: <data>/ag_news/{test.csv,classes.txt}, <data>/bbc/<class>/*.txt (title on the first line).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from content_pipeline.categorize.local_provider import LocalEmbeddingProvider, LocalSettings
from content_pipeline.categorize.models import Document
from content_pipeline.categorize.taxonomy import Category, Taxonomy

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"

AG_NEWS = {
    "World": "International news: governments, elections, presidents, war, military conflict, terrorism, "
    "diplomacy, countries and world politics.",
    "Sports": "Sports: football, baseball, basketball, tennis, golf, the Olympics; games, teams, players, "
    "coaches, scores, leagues and championships.",
    "Business": "Business and the economy: companies, stocks, markets, earnings, profits, oil prices, trade, "
    "banks, interest rates, mergers and jobs.",
    "Sci/Tech": "Science and technology: computers, software, the internet, Microsoft, Google, Apple, "
    "phones, space, NASA, research and scientific discoveries.",
}
BBC = {
    "business": "Business and the economy: companies, markets, shares, profits, banks, interest rates, "
    "inflation, trade, jobs and economic growth.",
    "entertainment": "Entertainment: films, actors, music, singers, albums, television shows, celebrities, "
    "awards, theatre and books.",
    "politics": "Politics: government, parliament, ministers, political parties, elections, Labour, "
    "Conservatives, policy and laws.",
    "sport": "Sport: football, rugby, tennis, cricket, athletics; matches, teams, players, coaches, "
    "championships and results.",
    "tech": "Technology: computers, software, the internet, mobile phones, gadgets, video games, "
    "broadband, security and tech companies.",
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


def run(data: Dataset, with_descriptions: bool) -> tuple[float, float, float, Counter[str]]:
    """Accuracy, macro-F1, docs/s (model already loaded), and statuses."""
    taxonomy = Taxonomy.from_categories(Category(n, d) for n, d in data.descriptions.items())
    settings = LocalSettings() if with_descriptions else LocalSettings(category_text="{name}")
    provider = LocalEmbeddingProvider(taxonomy, settings)
    started = time.perf_counter()
    results = provider.categorize(data.docs)
    elapsed = time.perf_counter() - started
    pred = [r.category for r in results]
    accuracy = sum(p == t for p, t in zip(pred, data.labels, strict=True)) / len(data.labels)
    return accuracy, macro_f1(data.labels, pred), len(data.docs) / elapsed, Counter(r.status for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CONTENT_PIPELINE_DATA_DIR", DEFAULT_DATA_DIR)),
        help="folder holding ag_news/ and bbc/ (env CONTENT_PIPELINE_DATA_DIR; default ../shared/data)",
    )
    parser.add_argument("--limit", type=int, default=None, help="documents per data set (seeded sample)")
    parser.add_argument("--datasets", default="ag_news,bbc", help="comma list of ag_news, bbc")
    args = parser.parse_args()

    loaders = {"ag_news": load_ag_news, "bbc": load_bbc}
    print(f"local provider: wordllama l2_supercat_256, {os.cpu_count()} CPUs, data {args.data_dir}")
    header = f"{'data set':<9} {'n':>5}  {'taxonomy':<22} {'accuracy':>8} {'macro-F1':>8} {'docs/s':>7}"
    print(header)
    print("-" * len(header))
    for key in args.datasets.split(","):
        data = loaders[key.strip()](args.data_dir, args.limit)
        base = run(data, with_descriptions=False)
        full = run(data, with_descriptions=True)
        for label, (acc, f1, speed, statuses) in (("bare names (baseline)", base), ("names + descriptions", full)):
            assert set(statuses) == {"ok"}, statuses
            print(f"{data.name:<9} {len(data.docs):>5}  {label:<22} {acc:>8.1%} {f1:>8.3f} {speed:>7.0f}")
        print(
            f"{'':<9} {'':>5}  {'descriptions / names':<22} {full[0] / base[0]:>7.2f}x {full[1] / base[1]:>7.2f}x "
            f"{full[2] / base[2]:>6.2f}x   (+{(full[0] - base[0]) * 100:.1f} points accuracy)"
        )


if __name__ == "__main__":
    main()
