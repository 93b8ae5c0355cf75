"""A day of hostile URLs through the real pipeline_job, against a bare aiohttp client on the same origin (run by hand).

    uv run python bench/faults.py [--urls 2000] [--hosts 4] [--per-host-concurrency 8] [--per-host-rate 20]

The hostile origin of the fault suite (tests/faults/hostile_origin.py: 5xx, 429s with both Retry-After forms,
stalls, trickles, resets, truncated bodies, gzip bombs, redirect loops, redirects to non-public addresses, wrong
charsets, mislabelled types, robots.txt, ETags) runs in a process of its own on --hosts loopback addresses
(127.0.1.1, 127.0.1.2, ...: separate hosts for politeness), with traps on the non-public addresses around them.
The day's URLs are tests/faults/hostile_catalog.py's mix, each with the export status a user should get.

  - pipeline: pipeline_job for one day on a fresh home, in this process, with the fetcher allowed exactly the
    origin's ports (`127.0.1.1:<port>`...) and the limits below;
  - bare: then, after the origin has forgotten every request, one aiohttp ClientSession on the same URLs with the
    same timeouts, the same per-host concurrency and rate, the same attempts and backoff, honouring Retry-After
    (the URL waits, and its host is held for as long, as the pipeline does); no address guard, no robots.txt, so
    it walks into the traps on loopback. It is kept from sending anything off this machine (a redirect to
    10.0.0.1 or 169.254.169.254 ends as `not_sent_off_machine`).

The table reports rows in and out, the share of rows with the expected status, lost and duplicated rows, requests
that reached a non-public address (the traps' count), retries sent before the Retry-After the origin asked for, the
fetch stage's and the whole run's wall time, the bare client's wall time and the ratio fetch stage / bare client
(target <= 2). Targets: >= 99% expected statuses, 0 lost, 0 duplicated, 0 non-public requests, 0 early retries.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))  # the origin and the catalog live in tests/faults

if TYPE_CHECKING:
    from tests.faults.hostile_catalog import ExpectedUrl
    from tests.faults.hostile_day import DayVerdict

DAY = "2026-11-24"
TARGETS = {"expected_share": 0.99, "wall_ratio": 2.0}
TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Limits:
    """The fetcher limits both clients get."""

    concurrency: int
    per_host_concurrency: int
    per_host_rate: float
    connect_timeout_s: float
    read_timeout_s: float
    total_timeout_s: float
    max_body_bytes: int
    max_redirects: int
    max_attempts: int
    backoff_initial_s: float
    backoff_max_s: float
    retry_after_max_s: float


# ---------------------------------------------------------------------------------------------------------------
# The origin (a child process running tests/faults/hostile_origin.py)


class OriginProcess:
    """The hostile origin and its traps in a child process, asked for reports between the clients."""

    def __init__(self, hosts: list[str]) -> None:
        command = [sys.executable, "-m", "tests.faults.hostile_origin", *hosts]
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        ready = json.loads(self.read_line())
        self.base_urls: list[str] = ready["base_urls"]
        self.traps_json: dict[str, Any] = ready["traps"]

    def read_line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the origin process exited with code {self.process.wait()}")
        return line

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = json.loads(self.read_line())
        return reply

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------------------------------------------------------
# The pipeline


@dataclass
class PipelineFigures:
    success: bool = False
    failure: str = ""
    run_wall_s: float = 0.0
    fetch_wall_s: float = 0.0
    step_wall_s: dict[str, float] = field(default_factory=dict)
    verdict: DayVerdict | None = None


def run_pipeline(catalog: list[ExpectedUrl], allow: list[str], limits: Limits, home: Path) -> PipelineFigures:
    """pipeline_job for one day on a fresh home, timed; its stored partitions judged against the catalog."""
    import dagster as dg

    from pipeline_defs.settings import Settings
    from tests.faults.hostile_day import drop_day, fetcher_for, judge_day, read_stages, run_day, run_failure

    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(home), "CONTENT_PIPELINE_START_DATE": DAY}).allowing(
        *allow
    )
    drop_day(settings, DAY, catalog)
    fetcher = fetcher_for(settings, **vars(limits))
    figures = PipelineFigures()
    with dg.instance_for_test() as instance:
        started = time.perf_counter()
        result = run_day(settings, DAY, instance, fetcher)
        figures.run_wall_s = time.perf_counter() - started
        figures.success, figures.failure = result.success, run_failure(result)
        figures.step_wall_s = step_walls(instance, result.run_id)
    figures.fetch_wall_s = figures.step_wall_s.get("fetch", 0.0)
    figures.verdict = judge_day(catalog, read_stages(settings, DAY))
    return figures


def step_walls(instance: Any, run_id: str) -> dict[str, float]:
    """Seconds from each step's start to its end, from the run's event log."""
    started: dict[str, float] = {}
    walls: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in started:
            walls[entry.step_key] = entry.timestamp - started[entry.step_key]
    return walls


# ---------------------------------------------------------------------------------------------------------------
# The bare aiohttp client


class HostGate:
    """Per host: a bound on requests in flight, an even request rate, and a pause the server asked for."""

    def __init__(self, concurrency: int, rate_per_s: float) -> None:
        from aiolimiter import AsyncLimiter

        self.slots = asyncio.Semaphore(concurrency)
        self.limiter = AsyncLimiter(1, 1 / rate_per_s) if rate_per_s > 0 else None
        self.resume_at = 0.0

    async def __aenter__(self) -> None:
        await self.slots.acquire()
        try:
            while (delay := self.resume_at - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            if self.limiter is not None:
                await self.limiter.acquire()
        except BaseException:
            self.slots.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.slots.release()


def retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def off_this_machine(url: str) -> bool:
    """True for a URL whose host is not a loopback address: the bare client has no address guard, so the bench
    keeps it from sending anything to the network (10.0.0.1, 169.254.169.254...) on the machine's behalf."""
    try:
        address = ipaddress.ip_address((urlsplit(url).hostname or "").strip("[]"))
    except ValueError:
        return urlsplit(url).hostname != "localhost"
    return not address.is_loopback


async def bare_attempt(session: Any, url: str, limits: Limits) -> tuple[str, float | None]:
    """One GET, following redirects one at a time (as aiohttp would) while they stay on loopback; (outcome,
    Retry-After seconds)."""
    import aiohttp

    try:
        for _ in range(limits.max_redirects + 1):
            if urlsplit(url).scheme not in ("http", "https"):
                return "invalid_url", None
            if off_this_machine(url):
                return "not_sent_off_machine", None
            async with session.get(url, allow_redirects=False) as response:
                if response.status in REDIRECTS and "Location" in response.headers:
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status >= 400:
                    await response.read()
                    return f"http_{response.status}", retry_after_s(response.headers.get("Retry-After"))
                size = 0
                async for chunk in response.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > limits.max_body_bytes:
                        return "too_large", None
                return "ok", None
        return "too_many_redirects", None
    except (TimeoutError, aiohttp.ServerTimeoutError):
        return "timeout", None
    except (aiohttp.ClientError, OSError) as exc:
        return f"connection_error:{type(exc).__name__}", None
    except ValueError as exc:
        return f"error:{type(exc).__name__}", None


def is_transient(outcome: str) -> bool:
    if outcome.startswith("http_"):
        code = int(outcome.removeprefix("http_"))
        return code in TRANSIENT_HTTP or code >= 500
    return outcome == "timeout" or outcome.startswith("connection_error")


async def bare_fetch_async(urls: list[str], limits: Limits) -> list[str]:
    import aiohttp

    timeout = aiohttp.ClientTimeout(
        total=limits.total_timeout_s, sock_connect=limits.connect_timeout_s, sock_read=limits.read_timeout_s
    )
    connector = aiohttp.TCPConnector(limit=limits.concurrency, limit_per_host=0)
    gates: dict[str, HostGate] = {}
    jitter = random.Random(1)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(url: str) -> str:
            host = urlsplit(url).netloc
            gate = gates.setdefault(host, HostGate(limits.per_host_concurrency, limits.per_host_rate))
            for attempt in range(1, limits.max_attempts + 1):
                async with gate:
                    outcome, asked = await bare_attempt(session, url, limits)
                if not is_transient(outcome) or attempt == limits.max_attempts:
                    return outcome
                if asked is not None:
                    if asked > limits.retry_after_max_s:
                        return outcome
                    gate.resume_at = max(gate.resume_at, time.monotonic() + asked)
                    await asyncio.sleep(asked)
                else:
                    backoff = min(limits.backoff_max_s, limits.backoff_initial_s * 2 ** (attempt - 1))
                    await asyncio.sleep(backoff + jitter.uniform(0, limits.backoff_initial_s))
            return "unreachable"

        return list(await asyncio.gather(*(one(url) for url in urls)))


def run_bare(urls: list[str], limits: Limits) -> tuple[list[str], float]:
    started = time.perf_counter()
    outcomes = asyncio.run(bare_fetch_async(urls, limits))
    return outcomes, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------------------
# Report


def waits_line(waits: list[float]) -> str:
    """Median and longest delay of a retry past the time its Retry-After asked for."""
    if not waits:
        return "none"
    return f"{waits[len(waits) // 2]:.1f} / {waits[-1]:.1f} s"


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_report(
    args: argparse.Namespace,
    pipeline: PipelineFigures,
    seen: dict[str, Any],
    bare_wall_s: float,
    bare_outcomes: list[str],
    bare_seen: dict[str, Any],
) -> None:
    verdict = pipeline.verdict
    assert verdict is not None
    rows_out = verdict.rows_out.get("export", 0)
    duplicated = sum(len(ids) for ids in verdict.duplicated.values())
    trapped, early = seen["trap"]["requests"], seen["origin"]["early_retries"]
    ratio = pipeline.fetch_wall_s / bare_wall_s if bare_wall_s else float("inf")
    rows = [
        ("rows in", f"{verdict.rows_in}", ""),
        ("rows out (export)", f"{rows_out}", " ".join(f"{s} {n}" for s, n in verdict.rows_out.items())),
        ("rows with the expected status", f"{verdict.expected_share:.1%}", mark(verdict.expected_share >= 0.99)),
        ("lost rows", f"{len(verdict.lost)}", mark(not verdict.lost)),
        ("duplicated rows", f"{duplicated}", mark(duplicated == 0)),
        ("requests to non-public addresses", f"{trapped}", mark(trapped == 0)),
        ("retries sent before Retry-After", f"{early}", mark(early == 0)),
        ("requests the origin saw / retries", f"{seen['origin']['requests']} / {seen['origin']['retries']}", ""),
        ("retry after its Retry-After: p50 / max", waits_line(seen["origin"]["waits_after_due"]), ""),
        ("fetch stage wall", f"{pipeline.fetch_wall_s:.1f} s", ""),
        ("whole run wall", f"{pipeline.run_wall_s:.1f} s", steps_line(pipeline.step_wall_s)),
        ("bare aiohttp wall", f"{bare_wall_s:.1f} s", bare_line(bare_outcomes, bare_seen)),
        ("fetch stage / bare aiohttp", f"{ratio:.2f}", f"{mark(ratio <= TARGETS['wall_ratio'])} (target <= 2)"),
    ]
    print()
    width = max(len(name) for name, _, _ in rows)
    print(f"{'':<{width}}  {'pipeline':>10}  notes")
    print("-" * (width + 60))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    if not pipeline.success:
        print(f"\nthe run failed:\n{pipeline.failure}")
    if verdict.mismatches:
        print("\n" + verdict.describe_mismatches(limit=12))
    for example in seen["origin"]["early_examples"]:
        print(f"early retry: {example}")
    if trapped:
        print(f"reached a trap: {seen['trap']['paths']}")
    print(
        f"\nlimits (both clients): {args.hosts} hosts, concurrency {args.concurrency}, per host "
        f"{args.per_host_concurrency} in flight at {args.per_host_rate:g}/s, timeouts connect {args.connect_timeout:g} "
        f"s, read {args.read_timeout:g} s, total {args.total_timeout:g} s, {args.max_attempts} attempts.\n"
        f"origin CPU: {seen['cpu_s']:.1f} s during the pipeline, {bare_seen['cpu_s'] - seen['cpu_s']:.1f} s "
        f"during the bare client. load average at the end: {os.getloadavg()[0]:.1f}"
    )


def steps_line(walls: dict[str, float]) -> str:
    return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in walls.items())


def bare_line(outcomes: list[str], seen: dict[str, Any]) -> str:
    counts = Counter(outcome.split(":")[0] for outcome in outcomes).most_common()
    shown = ", ".join(f"{name} {n}" for name, n in counts)
    origin, trapped = seen["origin"], seen["trap"]["requests"]
    return f"{shown}; {trapped} reached a trap; {origin['retries']} retries, {origin['early_retries']} early"


# ---------------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=2000, help="URLs in the day (default 2000)")
    parser.add_argument("--hosts", type=int, default=4, help="origin hosts, 127.0.1.1 and up (default 4)")
    parser.add_argument("--seed", type=int, default=20261124, help="the mix of behaviours")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight over all hosts")
    parser.add_argument("--per-host-concurrency", type=int, default=8)
    parser.add_argument("--per-host-rate", type=float, default=20.0, help="requests per second per host (0: none)")
    parser.add_argument("--connect-timeout", type=float, default=2.0)
    parser.add_argument("--read-timeout", type=float, default=2.0)
    parser.add_argument("--total-timeout", type=float, default=5.0)
    parser.add_argument("--max-attempts", type=int, default=3)
    return parser.parse_args()


def limits_from(args: argparse.Namespace) -> Limits:
    from content_pipeline.fetch.settings import FetchSettings

    defaults = FetchSettings()
    return Limits(
        concurrency=args.concurrency,
        per_host_concurrency=args.per_host_concurrency,
        per_host_rate=args.per_host_rate,
        connect_timeout_s=args.connect_timeout,
        read_timeout_s=args.read_timeout,
        total_timeout_s=args.total_timeout,
        max_body_bytes=defaults.max_body_bytes,
        max_redirects=defaults.max_redirects,
        max_attempts=args.max_attempts,
        backoff_initial_s=0.5,
        backoff_max_s=4.0,
        retry_after_max_s=defaults.retry_after_max_s,
    )


def main() -> None:
    args = parse_args()
    from tests.faults.hostile_catalog import day_catalog
    from tests.faults.hostile_traps import TrapAddresses

    limits = limits_from(args)
    hosts = [f"127.0.1.{n}" for n in range(1, args.hosts + 1)]
    origin = OriginProcess(hosts)
    try:
        catalog = day_catalog(origin.base_urls, TrapAddresses.from_json(origin.traps_json), args.urls, args.seed)
        allow = [urlsplit(url).netloc for url in origin.base_urls]
        print(
            f"faults bench: {len(catalog)} URLs on {len(hosts)} hosts ({', '.join(allow)}), {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="bench-faults-") as home:
            pipeline = run_pipeline(catalog, allow, limits, Path(home))
        seen = origin.ask("report")
        print(f"  pipeline: {pipeline.run_wall_s:.1f} s (fetch stage {pipeline.fetch_wall_s:.1f} s)", flush=True)
        origin.ask("reset")
        bare_outcomes, bare_wall_s = run_bare([e.url for e in catalog], limits)
        bare_seen = origin.ask("report")
        print(f"  bare aiohttp: {bare_wall_s:.1f} s", flush=True)
    finally:
        origin.close()
    print_report(args, pipeline, seen, bare_wall_s, bare_outcomes, bare_seen)


if __name__ == "__main__":
    main()
