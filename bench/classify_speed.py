"""Classify throughput on all cores against bare trafilatura on all cores, measured in the same run (run by hand).

    uv run python bench/classify_speed.py [--pages 2000] [--chunk 1000] [--workers 0] [--repeat 2]

Pages: `--pages` generated article pages (bench/pages.py: 30-80 KiB, nav, sidebars, comments, scripts, JSON-LD,
OpenGraph; seeded, so every run sees the same bytes), held as a fetch partition (the columns classify reads).

Contenders, each fed the same chunk in turn, chunk after chunk (so a busy neighbour slows all of them alike), over
`--repeat` rounds:
  - ceiling (defaults): `trafilatura.extract(body)` with library defaults over the same bytes, in a process pool
    of `--workers` processes (same start method, tasks of the same size as ours): the issue's ceiling;
  - ceiling (processor settings): the same with what the article processor passes (favor_precision=True,
    include_comments=False: the settings bench/extract.py scores the processor against);
  - ceiling (processor settings + metadata): `trafilatura.bare_extraction(body, ..., with_metadata=True)` with
    those settings: trafilatura doing all the work the article processor asks of it (what the processor called
    before it parsed pages once); the processor also detects the language, which trafilatura does not;
  - classify: what the stage runs: one ClassifyPool kept open over the run, `classify_partition(chunk, pool=pool)`
    per chunk of `--chunk` fetched rows, the chunks' frames concatenated.
Both pools are started and warmed up (untimed) first; our start-up is printed apart.

Printed per round and contender: pages/s (wall), CPU ms per page summed over this process and the pool's workers
(less sensitive to other load on the machine than wall time); the ratios classify / ceiling (target >= 0.8), and
the classify workers' RSS and USS (memory not shared with another process) after each chunk: a worker must not grow
with the day.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version

import polars as pl
import psutil
import trafilatura
from pages import article_pages  # bench/pages.py: this folder is on sys.path when a bench script runs
from trafilatura.settings import Document

from content_pipeline.classify.pool import POOL_START_METHOD, TASK_PAGES, ClassifyPool, split_tasks
from content_pipeline.classify.stage import classify_partition
from content_pipeline.schemas import FETCH_SCHEMA

TARGET_RATIO = 0.8
WARM_UP_PAGES = 16  # classified untimed by each pool before the first measurement
MIB = 1024 * 1024


def extract_defaults(body: bytes) -> int:
    return len(trafilatura.extract(body) or "")


def extract_as_processor(body: bytes) -> int:
    return len(trafilatura.extract(body, favor_precision=True, include_comments=False) or "")


def bare_extraction_with_metadata(body: bytes) -> int:
    document = trafilatura.bare_extraction(body, favor_precision=True, include_comments=False, with_metadata=True)
    return len(document.text or "") if isinstance(document, Document) else 0


# name -> what a ceiling's worker runs on each page's bytes; the first is the ceiling
CEILINGS: dict[str, Callable[[bytes], int]] = {
    "defaults": extract_defaults,
    "processor settings": extract_as_processor,
    "processor settings + metadata": bare_extraction_with_metadata,
}


def bare_extract(bodies: list[bytes], ceiling: str) -> int:
    """A ceiling's task: one of CEILINGS over each page; the characters extracted."""
    return sum(CEILINGS[ceiling](body) for body in bodies)


def fetched_partition(pages: list[bytes]) -> pl.DataFrame:
    """A fetch partition holding the generated pages as successful fetches."""
    urls = [f"https://news{i % 50}.example.org/story/{i}" for i in range(len(pages))]
    columns = {
        "record_id": [f"r{i:07d}" for i in range(len(pages))],
        "url": urls,
        "final_url": urls,
        "status": ["ok"] * len(pages),
        "http_status": [200] * len(pages),
        "content_type": ["text/html"] * len(pages),
        "charset": ["utf-8"] * len(pages),
        "body": pages,
        "bytes": [len(p) for p in pages],
    }
    return pl.DataFrame(columns).with_columns(
        pl.lit(None, FETCH_SCHEMA[name]).alias(name) for name in FETCH_SCHEMA if name not in columns
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of this process and of the given (live) worker processes."""
    total = time.process_time()
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def memory_mib(pids: list[int]) -> list[str]:
    """ "RSS (USS)" of each process: resident, and unique to it (what it shares with no other process)."""
    out = []
    for pid in pids:
        try:
            info = psutil.Process(pid).memory_full_info()
        except psutil.Error:
            continue
        out.append(f"{info.rss / MIB:.0f} ({info.uss / MIB:.0f})")
    return out


@dataclass
class Tally:
    """Pages, wall time and CPU time of one contender, summed over the chunks of a round."""

    name: str
    pages: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def add(self, pages: int, pids: list[int], action: Callable[[], object]) -> None:
        cpu, started = cpu_seconds(pids), time.perf_counter()
        action()
        self.wall_s += time.perf_counter() - started
        self.cpu_s += cpu_seconds(pids) - cpu
        self.pages += pages

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    def line(self) -> str:
        cpu_ms = 1000 * self.cpu_s / self.pages
        return f"{self.name:40s} {self.pages_per_s:6.1f} pages/s  {self.wall_s:6.1f} s  {cpu_ms:5.1f} CPU ms/page"


class Ceiling:
    """Bare trafilatura in a process pool: the same start method and task size as ClassifyPool."""

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context(POOL_START_METHOD)
        self.executor = ProcessPoolExecutor(workers, mp_context=context)

    def pids(self) -> list[int]:
        return sorted(getattr(self.executor, "_processes", None) or {})

    def extract(self, bodies: list[bytes], ceiling: str = "defaults") -> int:
        tasks = split_tasks(len(bodies), [len(b) for b in bodies], TASK_PAGES)
        futures = [self.executor.submit(bare_extract, [bodies[i] for i in task], ceiling) for task in tasks]
        return sum(f.result() for f in futures)


def run_round(
    ceiling: Ceiling, pool: ClassifyPool, bodies: list[bytes], fetched: pl.DataFrame, chunk: int
) -> tuple[dict[str, Tally], list[list[str]], pl.DataFrame]:
    """Each chunk through each contender in turn (a busy neighbour slows all of them alike); the tallies, the
    workers' RSS after each chunk and classify's rows."""
    tallies = {name: Tally(f"ceiling ({name})") for name in CEILINGS} | {"classify": Tally("classify")}
    frames: list[pl.DataFrame] = []
    rss: list[list[str]] = []
    for offset in range(0, fetched.height, chunk):
        part, rows = bodies[offset : offset + chunk], fetched.slice(offset, chunk)
        for name in CEILINGS:
            tallies[name].add(len(part), ceiling.pids(), partial(ceiling.extract, part, name))
        tallies["classify"].add(rows.height, pool.worker_pids(), partial(classify_into, frames, rows, pool))
        rss.append(memory_mib(pool.worker_pids()))
    return tallies, rss, pl.concat(frames)


def classify_into(frames: list[pl.DataFrame], rows: pl.DataFrame, pool: ClassifyPool) -> None:
    frames.append(classify_partition(rows, pool=pool))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000, help="generated pages (default 2000)")
    parser.add_argument("--chunk", type=int, default=500, help="rows per classify_partition call (default 500)")
    parser.add_argument("--workers", type=int, default=0, help="processes for each pool (default: one per core)")
    parser.add_argument("--repeat", type=int, default=2, help="measurements of each (default 2)")
    parser.add_argument("--seed", type=int, default=13, help="page generator seed (default 13)")
    args = parser.parse_args()
    workers = args.workers or os.cpu_count() or 1

    started = time.perf_counter()
    bodies = article_pages(args.pages, args.seed)
    fetched = fetched_partition(bodies)
    sizes = [len(b) for b in bodies]
    print(
        f"trafilatura {version('trafilatura')}, {os.cpu_count()} CPUs, {workers} workers each, start method "
        f"{POOL_START_METHOD}; {args.pages} pages of {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KiB "
        f"(mean {statistics.mean(sizes) / 1024:.0f}), chunks of {args.chunk} rows, generated in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with ClassifyPool(None, workers, inline_below=0) as pool:
        warm = fetched.head(WARM_UP_PAGES)
        start_s = timed(lambda: classify_partition(warm, pool=pool))
        print(f"classify pool: start-up and the first {WARM_UP_PAGES} pages took {start_s:.1f} s")
        ceiling = Ceiling(workers)
        for name in CEILINGS:
            ceiling.extract(bodies[:WARM_UP_PAGES], name)
        ratios: dict[str, list[float]] = {name: [] for name in CEILINGS}
        for round_number in range(1, args.repeat + 1):
            tallies, rss, data = run_round(ceiling, pool, bodies, fetched, args.chunk)
            ours = tallies["classify"]
            print(f"round {round_number}:")
            for tally in tallies.values():
                print("  " + tally.line())
            for name in CEILINGS:
                ratios[name].append(ours.pages_per_s / tallies[name].pages_per_s)
                cpu_ratio = tallies[name].cpu_s / ours.cpu_s
                print(f"  classify / ceiling ({name}): {ratios[name][-1]:.2f} wall, {cpu_ratio:.2f} CPU")
            print("  classify workers' RSS (USS) MiB after each chunk: " + ", ".join(" / ".join(v) for v in rss))
        statuses = Counter(zip(data["kind"].to_list(), data["status"].to_list(), strict=True))
        print("classify results:", ", ".join(f"{k}/{s}: {n}" for (k, s), n in statuses.most_common()))
        print(f"parent RSS {psutil.Process().memory_info().rss / MIB:.0f} MiB; pool restarts {pool.restarts}")
        ceiling.executor.shutdown()
    for name, values in ratios.items():
        verdict = "PASS" if min(values) >= TARGET_RATIO else "BELOW TARGET"
        listed = ", ".join(f"{r:.2f}" for r in values)
        print(f"{verdict}: classify / ceiling ({name}), wall: {listed} (target >= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
