"""Classify's pages on a Dask cluster of 1 and of 2 single-threaded workers on this machine (run by hand).

    uv run python bench/scale.py [--pages 5000] [--chunk 250] [--workdir DIR] [--rounds 2]

The pages are bench/e2e_origin.py's generated articles (30-80 KiB), generated once into the work folder (with
--workdir, kept for the next run: `bench/e2e.py --workdir DIR` makes the same ones). For each round, in turn:
  - a LocalCluster (a scheduler in this process, nannies and worker processes on 127.0.0.1, one thread each) of 1,
    then of 2 workers, started and warmed up (untimed);
  - DaskClassifyPool.classify over the pages, chunk after chunk of --chunk pages as the classify stage sends them;
  - for reference, the local ClassifyPool with one process per core on the same chunks.
Printed: pages/s of each, the ratio of the 2-worker cluster to the 1-worker one (the issue's target: >= 1.6x with
each worker held to one CPU, on a CPU-bound day) and to the local pool, and that every configuration gave the same
extractions.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from e2e_origin import PageStore, build_pages  # bench/: this folder is on sys.path

from content_pipeline.classify.dask_pool import DaskClassifyPool
from content_pipeline.classify.models import Extraction, FetchedPage
from content_pipeline.classify.pool import ClassifyPool

WARM_UP_PAGES = 32


def say(line: str) -> None:
    print(line, flush=True)


def page_of(store: PageStore, i: int) -> FetchedPage:
    url = f"http://127.0.0.1/p/{i}"
    return FetchedPage(url=url, final_url=url, content_type="text/html", body=store.body(i), charset="utf-8")


def timed(
    classify: Callable[[Sequence[FetchedPage]], list[Extraction]], chunks: list[list[FetchedPage]]
) -> tuple[float, list[Extraction]]:
    started = time.perf_counter()
    out: list[Extraction] = []
    for chunk in chunks:
        out.extend(classify(chunk))
    return time.perf_counter() - started, out


def on_cluster(workers: int, chunks: list[list[FetchedPage]]) -> tuple[float, list[Extraction]]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as cluster,
        DaskClassifyPool(cluster.scheduler_address) as pool,
    ):
        pool.classify(chunks[0][:WARM_UP_PAGES] * workers)  # every worker imports the processors, untimed
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            before = client.run(worker_rss_mib)
            result = timed(pool.classify, chunks)
            after = client.run(worker_rss_mib)
        shown = ", ".join(f"{before[w]:.0f} -> {after[w]:.0f}" for w in sorted(after) if w in before)
        say(f"  workers' RSS MiB after the warm-up -> after the pages: {shown}")
        return result


def worker_rss_mib() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=250, help="pages per chunk (the classify stage's default)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the pages are generated (kept)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="content-pipeline-scale-"))
    cores = os.cpu_count() or 1
    store = build_pages(workdir / "pages", args.pages, cores, say)
    pages = [page_of(store, i) for i in range(args.pages)]
    chunks = [pages[k : k + args.chunk] for k in range(0, len(pages), args.chunk)]
    say(f"{args.pages} pages of {store.total_bytes(args.pages) / args.pages / 1024:.1f} KiB, chunks of {args.chunk}, "
        f"{cores} CPUs, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    reference: list[dict[str, object]] | None = None
    for number in range(1, args.rounds + 1):
        figures: dict[str, float] = {}
        for label, run in (
            ("Dask, 1 worker", lambda: on_cluster(1, chunks)),
            ("Dask, 2 workers", lambda: on_cluster(2, chunks)),
            (f"local pool, {cores} processes", lambda: local(cores, chunks)),
        ):
            wall, results = run()
            figures[label] = args.pages / wall
            dicts = [asdict(e) for e in results]
            reference = reference or dicts
            same = "same extractions" if dicts == reference else "DIFFERENT extractions"
            say(f"round {number}: {label:<24} {figures[label]:7.1f} pages/s ({wall:.1f} s; {same})")
        ratio = figures["Dask, 2 workers"] / figures["Dask, 1 worker"]
        to_local = figures["Dask, 2 workers"] / figures[f"local pool, {cores} processes"]
        verdict = "PASS" if ratio >= 1.6 else "BELOW TARGET"
        say(f"round {number}: 2 workers / 1 worker = {ratio:.2f}x (target >= 1.6: {verdict}); "
            f"2 workers / local pool = {to_local:.2f}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    store.close()


def local(workers: int, chunks: list[list[FetchedPage]]) -> tuple[float, list[Extraction]]:
    with ClassifyPool(None, workers, inline_below=0) as pool:
        pool.classify(chunks[0][:WARM_UP_PAGES])  # start and warm the workers, untimed
        return timed(pool.classify, chunks)


if __name__ == "__main__":
    main()
