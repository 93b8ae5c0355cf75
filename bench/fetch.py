"""Throughput, CPU and memory of the pipeline's HTTP fetcher against a bare aiohttp loop (run by hand).

    uv run python bench/fetch.py [--urls 10000] [--concurrency 64] [--page-kb 50] [--repeat 2]

Two local origins on 127.0.0.1 run in a separate child process (bench/origin.py), so the client's CPU is measured
apart from the server's:
  - static:  answers every GET /p/<n> at once with the same HTML page (keep-alive HTTP/1.1, Content-Length);
  - latency: the same page, 100 ms after the request arrived.
On each origin, each client fetches N distinct URLs (/p/0 .. /p/N-1) at concurrency C:
  - aiohttp:  the baseline, one ClientSession(TCPConnector(limit=C)), a Semaphore(C) and `await r.read()`;
  - pipeline: content_pipeline.fetch.http_fetcher.HttpFetcher(settings).fetch_all(requests), robots.txt and the
    per-host rate off, the per-host bound at C (one origin), one attempt;
  - pipeline+cache: the same with the HTTP cache, as the fetch stage runs it (every finished fetch is journaled).
Every client run is a fresh subprocess of this script (hidden --client mode) that does a small untimed warm-up
(its own session / fetch_all call), then the timed fetch. It reports pages/s, its CPU time (user+sys) per page
during the timed fetch, its peak RSS, and how many pages came back ok with the right byte count. The origin process
reports its own CPU time; its CPU per page (warm-up requests included) times the client's pages/s estimates how busy
the origin was, so a reader can tell whether it was the bottleneck. Each measurement is repeated (--repeat) and the
median is printed, with the pipeline/aiohttp ratio of pages/s per origin against the targets (>= 0.8 on the static
origin, >= 0.95 on the latency origin) and the latency origin's ceiling, C / 0.1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp

ORIGIN_SCRIPT = Path(__file__).resolve().with_name("origin.py")
ORIGINS = {"static": 0.0, "latency": 0.1}  # name -> delay before each response, seconds
CLIENTS = ("aiohttp", "pipeline", "pipeline+cache")
TARGETS = {"static": 0.8, "latency": 0.95}  # minimum pipeline/aiohttp ratio of pages/s
RESULT_PREFIX = "RESULT "
CLIENT_TIMEOUT_S = 600


class Outcome(NamedTuple):
    status: str  # "ok" on success
    nbytes: int
    reason: str = ""


# ---------------------------------------------------------------------------------------------------------------
# The clients (each run in its own subprocess)


async def aiohttp_fetch_async(urls: list[str], concurrency: int) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(url: str) -> Outcome:
            async with gate:
                try:
                    async with session.get(url) as response:
                        body = await response.read()
                        status = "ok" if response.status == 200 else "http_error"
                        return Outcome(status, len(body), f"HTTP {response.status}")
                except (aiohttp.ClientError, TimeoutError) as exc:
                    return Outcome("error", 0, f"{type(exc).__name__}: {exc}")

        return list(await asyncio.gather(*(one(url) for url in urls)))


def aiohttp_fetch(urls: list[str], concurrency: int) -> tuple[list[Outcome], str]:
    return asyncio.run(aiohttp_fetch_async(urls, concurrency)), ""


def pipeline_cached_fetch(urls: list[str], concurrency: int) -> tuple[list[Outcome], str]:
    """The pipeline's fetcher as the fetch stage runs it: with the HTTP cache, journaling every finished fetch."""
    import tempfile

    from content_pipeline.fetch.http_cache import HttpCache

    with tempfile.TemporaryDirectory() as folder:
        cache = HttpCache(Path(folder) / "http.sqlite")
        try:
            return pipeline_fetch(urls, concurrency, cache)
        finally:
            cache.close()


def pipeline_fetch(urls: list[str], concurrency: int, cache: Any = None) -> tuple[list[Outcome], str]:
    """The pipeline's fetcher, given only the settings fields that exist in this version of FetchSettings."""
    from content_pipeline.fetch.http_fetcher import HttpFetcher
    from content_pipeline.fetch.models import FetchRequest
    from content_pipeline.fetch.settings import FetchSettings

    wanted: dict[str, Any] = {
        "concurrency": concurrency,
        "per_host_concurrency": concurrency,
        "per_host_rate": 0.0,
        "respect_robots": False,
        "max_attempts": 1,
        "allow_private": ("127.0.0.1",),
    }
    known = {f.name for f in dataclasses.fields(FetchSettings)}
    settings = FetchSettings(**{k: v for k, v in wanted.items() if k in known})
    missing = sorted(set(wanted) - known)
    note = f"FetchSettings has no {', '.join(missing)} (not passed)" if missing else ""
    requests = [FetchRequest(record_id=str(i), url=url) for i, url in enumerate(urls)]
    partition = f"bench-{os.getpid()}-{len(urls)}" if cache is not None else None  # warm-up and timed run differ
    results = HttpFetcher(settings, cache).fetch_all(requests, partition)
    return [Outcome(str(r.status), r.bytes, r.reason) for r in results], note


FETCHERS = {
    "aiohttp": aiohttp_fetch,
    "pipeline": pipeline_fetch,
    "pipeline+cache": pipeline_cached_fetch,
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_client(args: argparse.Namespace) -> None:
    """Hidden --client mode: warm up, time one fetch of --urls pages, print one RESULT line of JSON."""
    fetch = FETCHERS[args.client]
    fetch([f"{args.base}/p/warmup-{i}" for i in range(args.warmup)], args.concurrency)
    urls = [f"{args.base}/p/{i}" for i in range(args.urls)]
    rss_before = current_rss_mib()
    cpu_before, started = cpu_seconds(), time.perf_counter()
    outcomes, note = fetch(urls, args.concurrency)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    good = [o.status == "ok" and o.nbytes == args.page_bytes for o in outcomes]
    failures = Counter(
        f"{o.status} {o.nbytes} B: {o.reason}"[:160] for o, g in zip(outcomes, good, strict=True) if not g
    )
    result = {
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "count": len(outcomes),
        "ok": sum(good),
        "failures": dict(failures.most_common(5)),
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss_mib(),
        "note": note,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The origins (a child process running bench/origin.py)


class OriginServer:
    """A bench/origin.py child process serving one or more origins; asked for its CPU time between runs."""

    def __init__(self, origins: dict[str, float], page_kb: float, uvloop: bool) -> None:
        command = [sys.executable, str(ORIGIN_SCRIPT), "--page-kb", str(page_kb)]
        command += [arg for name, delay in origins.items() for arg in ("--origin", f"{name}:{delay}")]
        command += [] if uvloop else ["--no-uvloop"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.read_line())
        self.ports: dict[str, int] = ready["ports"]
        self.page_bytes: int = ready["page_bytes"]
        self.loop: str = ready["loop"]

    def read_line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"origin process exited with code {self.process.wait()}")
        return line

    def stats(self) -> tuple[float, dict[str, int]]:
        """CPU seconds (user+sys) used so far, and responses served so far per origin."""
        assert self.process.stdin is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        reply = json.loads(self.read_line())
        return reply["cpu_s"], reply["served"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait(timeout=10)


@dataclass
class Origin:
    name: str
    delay: float
    server: OriginServer

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.ports[self.name]}"


def start_origins(processes: int, page_kb: float, uvloop: bool) -> list[Origin]:
    """Both origins in one process (one event loop, two sockets), or each in its own process."""
    if processes == 1:
        server = OriginServer(ORIGINS, page_kb, uvloop)
        return [Origin(name, delay, server) for name, delay in ORIGINS.items()]
    return [Origin(name, delay, OriginServer({name: delay}, page_kb, uvloop)) for name, delay in ORIGINS.items()]


# ---------------------------------------------------------------------------------------------------------------
# One measurement, and the summary over repeats


@dataclass
class Sample:
    pages_per_s: float = 0.0
    cpu_ms_per_page: float = 0.0
    peak_rss_mib: float = 0.0
    rss_before_mib: float = 0.0
    ok: int = 0
    origin_cpu_ms_per_page: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)
    note: str = ""
    error: str = ""


def client_command(origin: Origin, client: str, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--client",
        client,
        "--base",
        origin.base,
        "--urls",
        str(args.urls),
        "--concurrency",
        str(args.concurrency),
        "--warmup",
        str(args.warmup),
        "--page-bytes",
        str(origin.server.page_bytes),
    ]


def measure(origin: Origin, client: str, args: argparse.Namespace) -> Sample:
    """Run one client subprocess against one origin; the origin's CPU is read before and after."""
    cpu_before, served_before = origin.server.stats()
    done = subprocess.run(
        client_command(origin, client, args), capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, check=False
    )
    cpu_after, served_after = origin.server.stats()
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        return Sample(error=f"exit code {done.returncode}: {(done.stderr or done.stdout).strip()[-1500:]}")
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    served = served_after.get(origin.name, 0) - served_before.get(origin.name, 0)
    return Sample(
        pages_per_s=result["count"] / result["elapsed_s"],
        cpu_ms_per_page=result["cpu_s"] * 1000 / result["count"],
        peak_rss_mib=result["peak_rss_mib"],
        rss_before_mib=result["rss_before_mib"],
        ok=result["ok"],
        origin_cpu_ms_per_page=(cpu_after - cpu_before) * 1000 / max(served, 1),
        failures=result["failures"],
        note=result["note"],
    )


def median(samples: list[Sample], attribute: str) -> float:
    return statistics.median(getattr(s, attribute) for s in samples)


def summarize(samples: list[Sample]) -> Sample | None:
    """The median of each figure over the runs that completed (the worst ok count); None if none did."""
    good = [s for s in samples if not s.error]
    if not good:
        return None
    failures: Counter[str] = Counter()
    for s in good:
        failures.update(s.failures)
    return Sample(
        pages_per_s=median(good, "pages_per_s"),
        cpu_ms_per_page=median(good, "cpu_ms_per_page"),
        peak_rss_mib=median(good, "peak_rss_mib"),
        rss_before_mib=median(good, "rss_before_mib"),
        ok=min(s.ok for s in good),
        origin_cpu_ms_per_page=median(good, "origin_cpu_ms_per_page"),
        failures=dict(failures),
        note=good[-1].note,
    )


# ---------------------------------------------------------------------------------------------------------------
# Report

HEADER = (
    f"{'origin':<8} {'client':<14} {'pages/s':>8} {'CPU ms/page':>11} {'CPU %':>6} {'RSS MiB':>8} {'base MiB':>8} "
    f"{'ok':>7} {'origin ms/page':>14} {'origin CPU %':>12}"
)

LEGEND = (
    "CPU ms/page, CPU %: the client process during the timed fetch (100% = one core; loopback TCP work is\n"
    "partly charged to it). RSS: its peak; base: its RSS just before the timed fetch. ok: pages with status ok and\n"
    "the right byte count ('!' when short of all). origin: CPU of the origin process per response (warm-up included)\n"
    "and the share of a core that costs at the client's pages/s. fetch_all returns every body, so the pipeline\n"
    "client holds {held:.0f} MiB of pages at the end; the aiohttp loop drops each body after reading it."
)


def table_row(origin: str, client: str, s: Sample | None, urls: int) -> str:
    if s is None:
        return f"{origin:<8} {client:<14} {'error':>8}"
    client_busy = s.cpu_ms_per_page * s.pages_per_s / 10
    origin_busy = s.origin_cpu_ms_per_page * s.pages_per_s / 10
    return (
        f"{origin:<8} {client:<14} {s.pages_per_s:>8.0f} {s.cpu_ms_per_page:>11.3f} {client_busy:>5.0f}% "
        f"{s.peak_rss_mib:>8.0f} {s.rss_before_mib:>8.0f} {s.ok:>7}{'' if s.ok == urls else '!'} "
        f"{s.origin_cpu_ms_per_page:>14.3f} {origin_busy:>11.0f}%"
    )


def ratio_line(origin: str, summary: dict[str, Sample | None], args: argparse.Namespace) -> str:
    base, pipe = summary.get("aiohttp"), summary.get("pipeline")
    if base is None or pipe is None:
        return f"{origin:<8} pipeline/aiohttp pages/s: n/a (a client did not complete)"
    ratio, target = pipe.pages_per_s / base.pages_per_s, TARGETS[origin]
    verdict = "PASS" if ratio >= target else "FAIL"
    line = f"{origin:<8} pipeline/aiohttp pages/s = {ratio:.2f}  (target >= {target:.2f}: {verdict})"
    delay = ORIGINS[origin]
    if delay > 0:
        ceiling = args.concurrency / delay
        line += f";  ceiling C / {delay:g} s = {ceiling:.0f} pages/s: aiohttp at {base.pages_per_s / ceiling:.0%},"
        line += f" pipeline at {pipe.pages_per_s / ceiling:.0%}"
    for name, against in (("pipeline+cache", "aiohttp"),):
        top, bottom = summary.get(name), summary.get(against)
        if top is not None and bottom is not None:
            line += f"\n{'':<8} {name}/{against} pages/s = {top.pages_per_s / bottom.pages_per_s:.2f}"
    return line


def print_report(results: dict[tuple[str, str], list[Sample]], origins: list[Origin], args: argparse.Namespace) -> None:
    page_bytes = origins[0].server.page_bytes
    summaries = {key: summarize(samples) for key, samples in results.items()}
    print()
    print(HEADER)
    print("-" * len(HEADER))
    for (origin, client), s in summaries.items():
        print(table_row(origin, client, s, args.urls))
    print(LEGEND.format(held=args.urls * page_bytes / 2**20))
    print()
    for o in origins:
        print(ratio_line(o.name, {c: summaries.get((o.name, c)) for c in args.clients}, args))
    print_details(results, summaries)


def print_details(
    results: dict[tuple[str, str], list[Sample]], summaries: dict[tuple[str, str], Sample | None]
) -> None:
    notes = {s.note for s in summaries.values() if s is not None and s.note}
    for note in sorted(notes):
        print(f"note: {note}")
    for (origin, client), samples in results.items():
        summary = summaries[(origin, client)]
        for failure, count in (summary.failures if summary else {}).items():
            print(f"failures {origin}/{client} (all runs): {count} x {failure}")
        for s in samples:
            if s.error:
                print(f"error {origin}/{client}: {s.error}")


# ---------------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=10_000, help="URLs per timed run (default 10000)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight, C (default 64)")
    parser.add_argument("--page-kb", type=float, default=50.0, help="page size in KiB (default 50)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per origin and client; the median is shown")
    parser.add_argument("--warmup", type=int, default=None, help="untimed warm-up URLs per run (default 2 C)")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma list of aiohttp, pipeline")
    parser.add_argument("--origin-procs", type=int, choices=(1, 2), default=1, help="origin processes (default 1)")
    parser.add_argument("--no-uvloop", action="store_true", help="run the origins on the stock asyncio loop")
    parser.add_argument("--client", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--page-bytes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.warmup = 2 * args.concurrency if args.warmup is None else args.warmup
    args.clients = [c.strip() for c in args.clients.split(",")]
    return args


def run_bench(args: argparse.Namespace) -> None:
    origins = start_origins(args.origin_procs, args.page_kb, not args.no_uvloop)
    servers = list({id(o.server): o.server for o in origins}.values())
    print(
        f"fetch bench: {args.urls} URLs per run, concurrency {args.concurrency}, page {servers[0].page_bytes} bytes, "
        f"warm-up {args.warmup} URLs, median of {args.repeat} runs, {os.cpu_count()} CPUs"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"origins: {len(servers)} process(es) on {servers[0].loop}; clients on asyncio, one subprocess per run")
    print(f"load average before the runs: {load} (other work on the machine skews the figures)")
    results: dict[tuple[str, str], list[Sample]] = {(o.name, c): [] for o in origins for c in args.clients}
    try:
        for run in range(1, args.repeat + 1):
            for origin in origins:
                for client in args.clients:
                    sample = measure(origin, client, args)
                    results[(origin.name, client)].append(sample)
                    status = sample.error[:80] if sample.error else f"{sample.pages_per_s:.0f} pages/s, ok {sample.ok}"
                    print(f"  run {run}/{args.repeat} {origin.name:<8} {client:<14} {status}", flush=True)
    finally:
        for server in servers:
            server.close()
    print_report(results, origins, args)


def main() -> None:
    args = parse_args()
    if args.client:
        run_client(args)
    else:
        run_bench(args)


if __name__ == "__main__":
    main()
