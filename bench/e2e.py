"""The whole pipeline on one day of N generated article URLs, against the ceilings of its stages (run by hand).

    uv run python bench/e2e.py [--urls 10000] [--concurrency 64] [--ceiling-pages P] [--workdir DIR] [--keep]
                               [--skip-rerun]

N article pages of 30-80 KiB (bench/pages.py) are generated once into the work folder and served from there by a
local origin in its own process (bench/e2e_origin.py: `/p/<i>`, ETag and Last-Modified, 304 on a match). Then:
  1. ceilings, each measured in this run on the same pages, one after the other while nothing else runs:
     - fetch: a bare aiohttp loop over all N URLs at the same concurrency (pages/s);
     - classify: bare `trafilatura.bare_extraction` (the article processor's options) on a process pool of one
       worker per core over the same bodies (pages/s), after an untimed warm-up of the pool;
     - categorize: the bare local model, wordllama's `embed` of the same extracted texts cut as the local provider
       cuts them (docs/s), after an untimed load.
     Above 10,000 URLs the extraction and model ceilings use an evenly spaced sample (--ceiling-pages, default
     5,000); the fetch ceiling always fetches all N. The extraction ceiling is measured again on the same pages
     after the first run, and the mean of the two is the one used: this machine's speed drifts by 10-15% over
     minutes (the same 5,000 pages gave 186 pages/s, then 165 five minutes later on a quiet machine), and classify
     runs between the two. Both figures are printed.
  2. the real `content-pipeline run --date DAY` as a child process with its own CONTENT_PIPELINE_HOME and
     DAGSTER_HOME in the work folder, the fetch limits raised for the one local host
     (CONTENT_PIPELINE_FETCH_CONCURRENCY and _PER_HOST_CONCURRENCY = C, _PER_HOST_RATE = 0, _ALLOW_PRIVATE = the
     origin) and the local model's answers cached (CONTENT_PIPELINE_AI_CACHE_LOCAL=1). The child and all its
     descendants are sampled every 0.2 s (psutil): RSS summed (the target's figure; it counts pages that forked
     processes share once per process), PSS summed (shared pages split among them) and CPU time. Reported: the
     peak sums, the largest single process, and per stage rows, wall and rows/s from the materialization's
     metadata (`stage_wall_s`, `rows_per_s`) when it has them, else from the step's start and end events, with the
     tree's CPU seconds, cores busy and peak RSS and PSS while the step ran.
  3. the same command again on the same day (unless --skip-rerun): the responses the origin sent (304s against
     200s), the AI calls (categorize's AI cache misses) and its wall against the first run's.

Targets printed beside the figures: peak RSS of the process tree <= 1 GiB (flat in N); wall <= 1.5 x the sum of the
ceilings (N/fetch + N/extract + N/model); the rerun: 0 AI calls, only 304s, wall < 10% of the first run.
The work folder (a temporary one unless --workdir) is deleted at the end unless --keep; with --workdir, only the
run's folders are deleted and the generated pages are kept for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from e2e_origin import PageStore, build_pages  # bench/e2e_origin.py: this folder is on sys.path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAY = "2026-06-01"
ORIGIN_SCRIPT = PROJECT_ROOT / "bench" / "e2e_origin.py"
STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results")
CEILING_OF = {"fetch": "fetch", "classify": "extract", "categorize": "model"}  # stage -> its ceiling
TARGET_RSS_MIB = 1024.0
TARGET_WALL_RATIO = 1.5
TARGET_RERUN_RATIO = 0.10
SAMPLE_EVERY_S = 0.2
EXTRACT_CHUNK = 8  # pages per task of the extraction pool
RUN_TIMEOUT_S = 6 * 3600.0  # a hang guard only
MIB = 1024 * 1024


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The origin (a child process running bench/e2e_origin.py)


class ChildServer:
    """A server in a process of its own that speaks one JSON line each way: on start, its `ready` line; asked
    "stats", its counts; "quit" (or EOF) stops it."""

    def __init__(self, command: list[str], name: str) -> None:
        self.name = name
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready: dict[str, Any] = json.loads(self.read_line())

    def read_line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} process exited with code {self.process.wait()}")
        return line

    def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = json.loads(self.read_line())
        return reply

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # it has already gone
                self.process.stdin.write("quit\n")
                self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Origin(ChildServer):
    """The page server in its own process; asked how many 200s and 304s it sent."""

    def __init__(self, pages: Path) -> None:
        super().__init__([sys.executable, str(ORIGIN_SCRIPT), "--pages", str(pages)], "origin")
        self.port: int = self.ready["port"]
        self.loop: str = self.ready["loop"]

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.port}/p/{i}"


def served_since(before: dict[str, Any], after: dict[str, Any]) -> Counter[str]:
    return Counter(after["served"]) - Counter(before["served"])


# ---------------------------------------------------------------------------------------------------------------
# The ceilings


@dataclass
class Ceiling:
    rate: float  # items per second
    items: int
    note: str


async def bare_fetch_async(urls: list[str], concurrency: int) -> Counter[str]:
    """Every URL once with C aiohttp workers; each body read and dropped."""
    import aiohttp

    outcomes: Counter[str] = Counter()
    pending = iter(urls)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout) as session:

        async def worker() -> None:
            for url in pending:
                try:
                    async with session.get(url) as answer:
                        await answer.read()
                        outcomes[f"HTTP {answer.status}"] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    outcomes[type(exc).__name__] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


def fetch_ceiling(urls: list[str], concurrency: int) -> Ceiling:
    started = time.perf_counter()
    outcomes = asyncio.run(bare_fetch_async(urls, concurrency))
    elapsed = time.perf_counter() - started
    shown = ", ".join(f"{n} x {what}" for what, n in outcomes.most_common())
    return Ceiling(len(urls) / elapsed, len(urls), f"bare aiohttp, C={concurrency}: {shown}")


def extract_page(url: str, body: bytes, max_chars: int) -> tuple[str, str]:
    """Title and main text (its first `max_chars`) as the article processor asks trafilatura for them."""
    import trafilatura

    document = trafilatura.bare_extraction(
        body.decode("utf-8", errors="replace"),
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    if document is None:
        return "", ""
    data = document if isinstance(document, dict) else document.as_dict()
    return data.get("title") or "", (data.get("text") or "")[:max_chars]


def extract_chunk(jobs: list[tuple[str, bytes]], max_chars: int) -> list[tuple[str, str]]:
    return [extract_page(url, body, max_chars) for url, body in jobs]


def warm_worker() -> None:
    """Import trafilatura and pay its first-call set-up before the timed part."""
    extract_page("http://127.0.0.1/warm-up", b"<html><body><article><p>warm up</p></article></body></html>", 10)


def extract_ceiling(store: PageStore, origin: Origin, sample: list[int]) -> tuple[Ceiling, list[tuple[str, str]]]:
    """Pages/s of bare trafilatura on one process per core; a few chunks in flight, so bodies never pile up."""
    from content_pipeline.categorize.local_provider import LocalSettings

    max_chars = LocalSettings().max_text_chars
    workers = os.cpu_count() or 1
    chunks = [sample[k : k + EXTRACT_CHUNK] for k in range(0, len(sample), EXTRACT_CHUNK)]

    def jobs(chunk: list[int]) -> list[tuple[str, bytes]]:
        return [(origin.url(i), store.body(i)) for i in chunk]

    texts: dict[int, list[tuple[str, str]]] = {}
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=warm_worker) as pool:
        warm_up = chunks[: 2 * workers]
        list(pool.map(extract_chunk, [jobs(chunk) for chunk in warm_up], [max_chars] * len(warm_up)))
        started = time.perf_counter()
        todo = iter(enumerate(chunks))
        running: dict[Future[list[tuple[str, str]]], int] = {}
        for number, chunk in todo:
            running[pool.submit(extract_chunk, jobs(chunk), max_chars)] = number
            if len(running) >= 4 * workers:
                break
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                texts[running.pop(future)] = future.result()
                following = next(todo, None)
                if following is not None:
                    running[pool.submit(extract_chunk, jobs(following[1]), max_chars)] = following[0]
        elapsed = time.perf_counter() - started
    docs = [doc for number in range(len(chunks)) for doc in texts[number]]
    empty = sum(not text for _, text in docs)
    note = f"trafilatura on {workers} processes, {len(sample)} pages ({empty} without text)"
    return Ceiling(len(sample) / elapsed, len(sample), note), docs


def model_ceiling(docs: list[tuple[str, str]]) -> Ceiling:
    """Docs/s of wordllama's embed over what the provider reads: the title and the first max_text_chars of the text."""
    from content_pipeline.categorize.local_provider import LocalSettings, load_wordllama

    settings = LocalSettings()
    model = load_wordllama()
    model.embed(["warm up the model"], batch_size=settings.batch_size)
    with_text = [(title, text) for title, text in docs if text.strip()]
    started = time.perf_counter()
    texts = [
        f"{title.strip()[: settings.max_text_chars]}\n{text[: settings.max_text_chars]}" for title, text in with_text
    ]
    model.embed(texts, batch_size=settings.batch_size)
    elapsed = time.perf_counter() - started
    return Ceiling(len(with_text) / elapsed, len(with_text), "wordllama embed of title + first 8,000 characters")


# ---------------------------------------------------------------------------------------------------------------
# The pipeline run (a child process) and the memory of its process tree


class TreeSampler(threading.Thread):
    """RSS, PSS and CPU time of a process and all its descendants, every SAMPLE_EVERY_S seconds, until stopped.

    RSS counts a page shared by several processes (a forked pool's) in each of them; PSS splits it among them. CPU
    is user + system of every process seen so far, each at its last sample (a process's last 0.2 s may be missed).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.halt = threading.Event()
        self.samples: list[tuple[float, int, int, float]] = []  # (epoch s, summed RSS, summed PSS, CPU s so far)
        self.cpu_by_pid: dict[int, float] = {}
        self.peak_single = 0
        self.peak_single_name = ""
        self.most_processes = 0
        self.at_peak: list[tuple[int, str]] = []  # (RSS, process) of each process at the tree's highest RSS sample

    def run(self) -> None:
        import psutil

        while not self.halt.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss_sum = pss_sum = 0
            each: list[tuple[int, Any]] = []
            for process in processes:
                try:
                    memory = process.memory_full_info()
                    cpu = process.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rss_sum += memory.rss
                pss_sum += getattr(memory, "pss", memory.rss)
                each.append((memory.rss, process))
                self.cpu_by_pid[process.pid] = cpu.user + cpu.system
                if memory.rss > self.peak_single:
                    self.peak_single = memory.rss
                    self.peak_single_name = describe(process)
            if rss_sum > max((sample[1] for sample in self.samples), default=0):
                self.at_peak = sorted(((rss, describe(process)) for rss, process in each), reverse=True)
            self.samples.append((time.time(), rss_sum, pss_sum, sum(self.cpu_by_pid.values())))
            self.most_processes = max(self.most_processes, len(processes))
            self.halt.wait(SAMPLE_EVERY_S)

    def peak(self, start: float = 0.0, end: float = float("inf"), pss: bool = False) -> int:
        """The highest summed RSS (or PSS) sampled between `start` and `end` (epoch seconds)."""
        chosen = [(rss, pss_) for at, rss, pss_, _ in self.samples if start <= at <= end]
        return max((pss_ if pss else rss for rss, pss_ in chosen), default=0)

    def cpu_s(self, start: float = 0.0, end: float = float("inf")) -> float:
        """CPU seconds the tree used between `start` and `end` (epoch seconds), as far as the samples tell."""
        inside = [cpu for at, _, _, cpu in self.samples if start <= at <= end]
        before = [cpu for at, _, _, cpu in self.samples if at < start]
        return (inside[-1] - (before[-1] if before else 0.0)) if inside else 0.0


def describe(process: Any) -> str:
    try:
        words = process.cmdline()
    except Exception:  # gone, or not ours to read: the name is enough
        return "?"
    text = " ".join(Path(words[0]).name if k == 0 else w for k, w in enumerate(words)) if words else "?"
    return text if len(text) <= 70 else text[:69] + "…"


@dataclass
class RunFigures:
    exit_code: int
    wall_s: float
    sampler: TreeSampler
    log: Path


def child_env(home: Path, dagster_home: Path, port: int, concurrency: int) -> dict[str, str]:
    """This environment without the pipeline's own settings, plus the bench's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONTENT_PIPELINE_", "GEMINI_", "DAGSTER_"))}
    return env | {
        "CONTENT_PIPELINE_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": f"127.0.0.1:{port}",
        "CONTENT_PIPELINE_FETCH_CONCURRENCY": str(concurrency),
        "CONTENT_PIPELINE_FETCH_PER_HOST_CONCURRENCY": str(concurrency),
        "CONTENT_PIPELINE_FETCH_PER_HOST_RATE": "0",
        "CONTENT_PIPELINE_AI_CACHE_LOCAL": "1",
        "CONTENT_PIPELINE_START_DATE": DAY,  # the bench's fixed day may lie before the default first partition
        "PYTHONUNBUFFERED": "1",
    }


def fetch_limits_in_effect(env: dict[str, str]) -> str:
    """The fetcher limits the pipeline's Definitions build from `env` (this checkout may not read them all)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        from pipeline_defs.definitions import build_resources
        from pipeline_defs.settings import Settings
        from resources.fetcher import FetcherResource

        fetcher = build_resources(Settings.from_env())["fetcher"]
        assert isinstance(fetcher, FetcherResource)
        s = fetcher.settings()
        rate = "no limit" if s.per_host_rate <= 0 else f"{s.per_host_rate:g}/s"
        return f"concurrency {s.concurrency}, per host {s.per_host_concurrency}, per-host rate {rate}"
    except Exception as exc:  # the figures still come; only this line is missing
        return f"could not tell ({type(exc).__name__}: {exc})"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stop_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's own process group (the run cancels itself), SIGKILL after a grace period."""
    for signum, grace in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_pipeline(env: dict[str, str], logs: Path, label: str) -> RunFigures:
    """`content-pipeline run --date DAY` in a child process (its own session), its process tree sampled."""
    log = logs / f"{label}.log"
    command = [sys.executable, "-m", "pipeline_defs.cli", "run", "--date", DAY]
    with log.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = TreeSampler(child.pid)
        sampler.start()
        try:
            code = child.wait(timeout=RUN_TIMEOUT_S)
        except BaseException:  # a hang, or Ctrl-C: stop the run before leaving
            stop_group(child)
            raise
        finally:
            sampler.halt.set()
            sampler.join()
        wall = time.perf_counter() - started
    return RunFigures(code, wall, sampler, log)


# ---------------------------------------------------------------------------------------------------------------
# What the run recorded (the Dagster instance's event log)


@dataclass
class StageFigures:
    rows: int | None = None
    wall_s: float | None = None
    rows_per_s: float | None = None
    source: str = "-"
    start: float = 0.0  # epoch seconds of the step's start and end
    end: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunLog:
    run_wall_s: float | None
    stages: dict[str, StageFigures]


def read_run_log(dagster_home: Path) -> RunLog:
    """Per stage of the latest run: rows, wall, rows/s (metadata first, step events else) and its metadata."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    stages = {stage: StageFigures() for stage in STAGES}
    run_bounds: dict[str, float] = {}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return RunLog(None, stages)
        for entry in instance.all_logs(runs[0].run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type
            if kind in (DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
                run_bounds[kind.name] = entry.timestamp
            stage = stages.get(entry.step_key or "")
            if stage is None:
                continue
            if kind == DagsterEventType.STEP_START:
                stage.start = entry.timestamp
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                stage.end = entry.timestamp
            elif kind == DagsterEventType.ASSET_MATERIALIZATION and entry.asset_materialization is not None:
                metadata = entry.asset_materialization.metadata
                stage.metadata = {key: getattr(value, "value", value) for key, value in metadata.items()}
    for stage in stages.values():
        fill_stage(stage)
    end = run_bounds.get("RUN_SUCCESS", run_bounds.get("RUN_FAILURE"))
    start = run_bounds.get("RUN_START")
    return RunLog(end - start if start is not None and end is not None else None, stages)


def fill_stage(stage: StageFigures) -> None:
    meta = stage.metadata
    rows = meta.get("dagster/row_count")
    stage.rows = int(rows) if rows is not None else None
    if meta.get("stage_wall_s") is not None:
        stage.wall_s, stage.source = float(meta["stage_wall_s"]), "metadata"
    elif stage.start and stage.end:
        stage.wall_s, stage.source = stage.end - stage.start, "step events"
    if meta.get("rows_per_s") is not None:
        stage.rows_per_s = float(meta["rows_per_s"])
    elif stage.rows is not None and stage.wall_s:
        stage.rows_per_s = stage.rows / stage.wall_s


# ---------------------------------------------------------------------------------------------------------------
# The report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def stage_table(log: RunLog, sampler: TreeSampler, ceilings: dict[str, Ceiling]) -> str:
    header = f"{'stage':<13} {'rows':>7} {'wall s':>8} {'rows/s':>8} {'ceiling rows/s':>14} {'ratio':>6} "
    header += f"{'CPU s':>7} {'cores':>5} {'peak RSS MiB':>12} {'PSS MiB':>8}  source of wall"
    lines = [header, "-" * len(header)]
    for name, stage in log.stages.items():
        ceiling = ceilings.get(CEILING_OF.get(name, ""))
        rate = stage.rows_per_s
        ratio = f"{rate / ceiling.rate:.2f}" if ceiling and rate else "-"
        timed = bool(stage.start and stage.end)
        rss = sampler.peak(stage.start, stage.end) / MIB if timed else None
        pss = sampler.peak(stage.start, stage.end, pss=True) / MIB if timed else None
        cpu = sampler.cpu_s(stage.start, stage.end) if timed else None
        cores = cpu / (stage.end - stage.start) if cpu is not None and stage.end > stage.start else None
        lines.append(
            f"{name:<13} {fmt(stage.rows, '.0f'):>7} {fmt(stage.wall_s, '.1f'):>8} {fmt(rate, '.0f'):>8} "
            f"{fmt(ceiling.rate if ceiling else None, '.0f'):>14} {ratio:>6} {fmt(cpu, '.1f'):>7} "
            f"{fmt(cores, '.2f'):>5} {fmt(rss, '.0f'):>12} {fmt(pss, '.0f'):>8}  {stage.source}"
        )
    return "\n".join(lines)


def fmt(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def tree_figures(run: RunFigures) -> str:
    s = run.sampler
    peak = s.peak() / MIB
    return (
        f"peak RSS of the process tree: {peak:.0f} MiB, summed over up to {s.most_processes} processes (target <= "
        f"{TARGET_RSS_MIB:.0f} MiB: {verdict(peak <= TARGET_RSS_MIB)}); peak PSS (shared pages split among the "
        f"processes) {s.peak(pss=True) / MIB:.0f} MiB; largest single process {s.peak_single / MIB:.0f} MiB RSS "
        f"({s.peak_single_name})\n  at the tree's peak: "
        + ", ".join(f"{rss / MIB:.0f} MiB {name}" for rss, name in s.at_peak)
        + f"\nCPU of the process tree: {s.cpu_s():.1f} s over {run.wall_s:.1f} s "
        f"({s.cpu_s() / run.wall_s:.2f} cores busy); load average at the end: {load_average()}"
    )


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def status_counts(table: object) -> str:
    """`ok: 990, http_error: 10` from a stage's status_counts table (a TableMetadataValue's value is itself)."""
    records = getattr(table, "records", None)
    if records is None:
        return "(not recorded)"
    return ", ".join(f"{r.data['status']}: {r.data['records']}" for r in records)


def print_first_run(urls: int, run: RunFigures, log: RunLog, ceilings: dict[str, Ceiling]) -> None:
    say("")
    say(f"first run: `content-pipeline run --date {DAY}` exited {run.exit_code}")
    say(stage_table(log, run.sampler, ceilings))
    for stage in ("fetch", "export"):
        say(f"{stage} statuses: {status_counts(log.stages[stage].metadata.get('status_counts'))}")
    parts = {name: urls / ceilings[key].rate for name, key in CEILING_OF.items() if key in ceilings}
    total = sum(parts.values())
    say("")
    say(
        "sum of the ceilings: "
        + " + ".join(f"{urls}/{ceilings[CEILING_OF[name]].rate:.0f}" for name in parts)
        + " = "
        + " + ".join(f"{seconds:.1f}" for seconds in parts.values())
        + f" = {total:.1f} s"
    )
    ratio = run.wall_s / total if total else float("nan")
    in_run = f"{log.run_wall_s:.1f} s" if log.run_wall_s is not None else "not recorded"
    say(
        f"wall of the command: {run.wall_s:.1f} s (the run itself, from its event log: {in_run}) = {ratio:.2f} x the "
        f"sum of the ceilings (target <= {TARGET_WALL_RATIO}: {verdict(ratio <= TARGET_WALL_RATIO)})"
    )
    say(tree_figures(run))


def print_rerun(urls: int, first: RunFigures, rerun: RunFigures, log: RunLog, served: Counter[str]) -> None:
    say("")
    say(f"rerun of the same day: exited {rerun.exit_code}")
    say(stage_table(log, rerun.sampler, {}))
    ratio = rerun.wall_s / first.wall_s
    say(
        f"wall: {rerun.wall_s:.1f} s = {ratio:.3f} of the first run "
        f"(target < {TARGET_RERUN_RATIO}: {verdict(ratio < TARGET_RERUN_RATIO)})"
    )
    pages = {code: served.get(code, 0) for code in ("304", "200", "404")}
    recorded = log.stages["fetch"].metadata.get("not_modified_304", "not recorded")
    say(
        f"origin answered: {pages['304']} x 304, {pages['200']} x 200, {pages['404']} x 404 "
        f"(+ {served.get('robots.txt', 0)} robots.txt); the fetch stage recorded {recorded} not_modified_304 "
        f"(target: a 304 for each of the {urls} URLs: {verdict(pages['304'] == urls and pages['200'] == 0)})"
    )
    say(ai_calls_line(log.stages["categorize"]))
    say(tree_figures(rerun))


def ai_calls_line(categorize: StageFigures) -> str:
    """How many rows this run asked the model (or Gemini) about.

    None when the stage kept its stored partition (`unchanged_input`: then the cache figures are the stored
    partition's, not this run's); else the AI cache's misses, or every row when the cache was off.
    """
    meta = categorize.metadata
    if meta.get("unchanged_input") is True:
        return "AI calls: 0, the stage kept its stored partition (unchanged input, code and settings) (target 0: PASS)"
    if meta.get("ai_cache") == "off":
        return f"AI calls: every categorized row (the AI cache was off in this run) (target 0: {verdict(False)})"
    misses = meta.get("cache_misses")
    if misses is None:
        return "AI calls (categorize cache misses): not recorded"
    return (
        f"AI calls (categorize cache misses): {misses}, cache hits {meta.get('cache_hits')} "
        f"(target 0: {verdict(misses == 0)})"
    )


# ---------------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=10_000, help="URLs in the day, N (default 10000)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight, C (default 64)")
    parser.add_argument(
        "--ceiling-pages",
        type=int,
        default=None,
        help="pages for the extraction and model ceilings (default N up to 10000, else 5000, evenly spaced)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="work folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (home, logs, Dagster instance)")
    parser.add_argument("--skip-rerun", action="store_true", help="do not run the day a second time")
    args = parser.parse_args()
    if args.urls < 1 or args.concurrency < 1:
        parser.error("--urls and --concurrency must be at least 1")
    if args.ceiling_pages is None:
        args.ceiling_pages = args.urls if args.urls <= 10_000 else 5_000
    args.ceiling_pages = max(1, min(args.ceiling_pages, args.urls))
    return args


def write_inbox(home: Path, origin: Origin, urls: int) -> None:
    inbox = home / "inbox"
    inbox.mkdir(parents=True)
    lines = ["url", *(origin.url(i) for i in range(urls))]
    (inbox / f"e2e-{DAY}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure_ceilings(store: PageStore, origin: Origin, args: argparse.Namespace) -> dict[str, Ceiling]:
    ceilings = {"fetch": fetch_ceiling([origin.url(i) for i in range(args.urls)], args.concurrency)}
    say(f"ceiling fetch: {ceilings['fetch'].rate:.0f} pages/s ({ceilings['fetch'].note})")
    sample = [k * args.urls // args.ceiling_pages for k in range(args.ceiling_pages)]
    ceilings["extract"], docs = extract_ceiling(store, origin, sample)
    say(f"ceiling extract: {ceilings['extract'].rate:.1f} pages/s ({ceilings['extract'].note})")
    ceilings["model"] = model_ceiling(docs)
    say(f"ceiling model: {ceilings['model'].rate:.0f} docs/s ({ceilings['model'].note})")
    return ceilings


def extract_before_and_after(before: Ceiling, store: PageStore, origin: Origin, args: argparse.Namespace) -> Ceiling:
    """The extraction ceiling as the mean of its measure before the run and a second one, on the same pages, after."""
    sample = [k * args.urls // args.ceiling_pages for k in range(args.ceiling_pages)]
    after, _ = extract_ceiling(store, origin, sample)
    say(f"ceiling extract again, after the run: {after.rate:.1f} pages/s ({after.note})")
    mean = (before.rate + after.rate) / 2
    note = f"{before.note}; mean of {before.rate:.1f} before and {after.rate:.1f} pages/s after the run"
    say(f"ceiling extract used: {mean:.1f} pages/s")
    return Ceiling(mean, before.items, note)


def tail(path: Path, lines: int = 25) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_bench(args: argparse.Namespace, workdir: Path) -> None:
    workers = os.cpu_count() or 1
    store = build_pages(workdir / "pages", args.urls, workers, say)
    origin = Origin(workdir / "pages")
    home, dagster_home, logs = workdir / "home", workdir / "dagster", workdir / "logs"
    try:
        for folder in (home, dagster_home, logs):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
        write_inbox(home, origin, args.urls)
        env = child_env(home, dagster_home, origin.port, args.concurrency)
        mean_kib = store.total_bytes(args.urls) / args.urls / 1024
        say(
            f"e2e bench: {args.urls} URLs of {mean_kib:.1f} KiB on average, day {DAY}, concurrency {args.concurrency}, "
            f"{workers} CPUs, load average {load_average()}"
        )
        say(f"origin: pid {origin.process.pid} on {origin.loop}, port {origin.port}; work folder {workdir}")
        say(f"fetch limits the pipeline gets: {fetch_limits_in_effect(env)}")
        ceilings = measure_ceilings(store, origin, args)
        say(f"running the pipeline (a child process; its output goes to {logs})")
        first = run_pipeline(env, logs, "first-run")
        ceilings["extract"] = extract_before_and_after(ceilings["extract"], store, origin, args)
        print_first_run(args.urls, first, read_run_log(dagster_home), ceilings)
        if first.exit_code != 0:
            say(f"the run failed; the end of {first.log}:\n{tail(first.log)}")
        elif not args.skip_rerun:
            before = origin.stats()
            rerun = run_pipeline(env, logs, "rerun")
            print_rerun(args.urls, first, rerun, read_run_log(dagster_home), served_since(before, origin.stats()))
            if rerun.exit_code != 0:
                say(f"the rerun failed; the end of {rerun.log}:\n{tail(rerun.log)}")
        figures = origin.stats()
        say("")
        say(
            f"origin (its own process, not counted above): peak RSS {figures['peak_rss_mib']:.0f} MiB, "
            f"{figures['cpu_s']:.1f} s CPU, served {dict(Counter(figures['served']).most_common())}"
        )
    finally:
        origin.close()
        store.close()


def main() -> None:
    args = parse_args()
    workdir = args.workdir.resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="content-pipeline-e2e-"))
    try:
        run_bench(args, workdir)
    finally:
        if args.keep:
            say(f"kept {workdir} (the runs' output in {workdir / 'logs'})")
        elif args.workdir:
            for name in ("home", "dagster", "logs"):
                shutil.rmtree(workdir / name, ignore_errors=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
