"""Dask distributed, Ray and Dagster's multiprocess executor measured side by side on this machine (run by hand).

    uv run --with ray python bench/engines.py [--pages 1500] [--tasks 2000] [--rounds 2] [--chunks 20] [--workdir DIR]

Ray is not one of the project's dependencies: `--with ray` brings it for this command only; an engine that cannot
be imported is skipped with a one-line note. Each round runs the engines back to back, in turn (the order flips
every round, so neither always runs first on a machine whose load changes), and prints the load average with
every figure:
  - Dask: a LocalCluster of 2 single-threaded worker processes on 127.0.0.1 (its scheduler and nannies run in this
    process); Ray: `ray.init(num_cpus=2)` (its GCS, raylet and agents are processes of their own, the workers are
    started by the raylet). For each:
      - per-task overhead: --tasks trivial tasks (return the argument) submitted at once and gathered, after a
        warm-up; also 200 tasks one after the other (the round trip of one task);
      - classify's real work: --pages generated article pages (bench/e2e_origin.py) in chunks of --chunk pages, as
        the classify stage sends them, each chunk in tasks of TASK_PAGES pages calling
        `content_pipeline.classify.dask_pool.classify_on_worker(rules_text, pages)`; both engines must give the
        same extractions (asdict equal); the CPU seconds that this process (with Dask: its client, scheduler and
        nannies), the workers and the engine's daemons spent on it;
      - RSS of each worker process idle (after the trivial tasks), after classify's warm-up, and its peak (VmHWM),
        and of the engine's own daemons (psutil, /proc); for Dask also a `dask scheduler` and a
        `dask worker --nworkers 2` process started as a deployment starts them.
  - Dagster's multiprocess executor as the engine of chunk-level steps: a job of one op emitting --chunks dynamic
    outputs, one trivial op mapped over them and one collecting op, on a temporary instance (`instance_for_test`),
    with `max_concurrent: 2`, then in process; each step of the multiprocess run is a new Python process that
    imports dagster and the job's module (the project's code location would cost more: its import is timed too).
A table of the last round closes the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dagster as dg

    from content_pipeline.classify.models import Extraction, FetchedPage

# Only the standard library at the top: Dagster's step processes import this file to rebuild the job.
MIB = 1024 * 1024
WARM_UP_TASKS = 100  # trivial tasks run before any timing (connections, worker start)
SEQUENTIAL_TASKS = 200  # tasks submitted one after the other: the round trip of one task
WORKERS = 2


def say(line: str) -> None:
    print(line, flush=True)


def load() -> str:
    return "load " + "/".join(f"{x:.2f}" for x in os.getloadavg())


def identity(x: int) -> int:
    return x


def worker_pid(_: int) -> int:
    """The process a task ran in (a short sleep, so that every worker gets some of the tasks)."""
    time.sleep(0.02)
    return os.getpid()


def children() -> set[int]:
    import psutil

    return {p.pid for p in psutil.Process().children(recursive=True)}


def label(process: Any) -> str:
    """A process's name, or the script or module a Python process runs."""
    name = process.name()
    if name.startswith("python"):
        args = process.cmdline()[1:]
        script = next((a for a in args if a.endswith(".py")), None)
        if script:
            name = Path(script).stem
        elif args[:1] in (["-c"], ["-m"]) and len(args) > 1:
            name = args[1][:40]
    return f"{name} ({process.pid})"


def cpu_seconds() -> dict[int, float]:
    """User + system CPU seconds of this process and of each of its descendants."""
    import psutil

    spent = {}
    for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        spent[process.pid] = times.user + times.system
    return spent


def peak_rss_mib(pid: int) -> float:
    """A process's peak RSS (VmHWM) from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def rss_mib(pid: int) -> float:
    import psutil

    return float(psutil.Process(pid).memory_info().rss) / MIB


@dataclass
class Figures:
    """What one engine measured in one round."""

    engine: str
    task_ms: float = 0.0
    tasks_per_s: float = 0.0
    round_trip_ms: float = 0.0
    pages_per_s: float = 0.0
    classify_load: str = ""
    idle_mib: list[float] = field(default_factory=list)
    warm_mib: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    daemons: dict[str, float] = field(default_factory=dict)  # name -> RSS MiB
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds during classify: driver, workers, daemons
    in_process_mib: float = 0.0  # growth of this process when the engine started (Dask's scheduler lives here)
    start_s: float = 0.0
    extractions: list[dict[str, Any]] = field(default_factory=list)


class Engine:
    """One engine's cluster of WORKERS single-threaded worker processes on this machine."""

    name = ""

    def start(self) -> None:
        raise NotImplementedError

    def map(self, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        """One task per argument tuple, submitted at once; the answers in order."""
        raise NotImplementedError

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """One task, waited for."""
        raise NotImplementedError

    def worker_pids(self) -> list[int]:
        raise NotImplementedError

    def daemons(self, before: set[int]) -> dict[str, float]:
        """RSS MiB of the processes this engine started besides its task workers (the first ones excepted)."""
        import psutil

        workers = set(self.worker_pids())
        found = {}
        for child in psutil.Process().children(recursive=True):
            if child.pid not in workers and child.pid not in before:
                found[label(child)] = float(child.memory_info().rss) / MIB
        return found

    def stop(self) -> None:
        raise NotImplementedError


class DaskEngine(Engine):
    name = "Dask distributed"

    def start(self) -> None:
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        )
        self.client = Client(self.cluster, set_as_default=False)
        self.client.wait_for_workers(WORKERS)

    def map(self, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        futures = [self.client.submit(fn, *a, pure=False) for a in args]
        return list(self.client.gather(futures))

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False).result()

    def worker_pids(self) -> list[int]:
        return sorted(self.client.run(os.getpid).values())

    def stop(self) -> None:
        self.client.close()
        self.cluster.close()


class RayEngine(Engine):
    name = "Ray"

    def start(self) -> None:
        import logging

        import ray

        ray.init(num_cpus=WORKERS, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False)
        self.ray = ray
        self._remote: dict[Callable[..., Any], Any] = {}

    def _as_remote(self, fn: Callable[..., Any]) -> Any:
        if fn not in self._remote:
            self._remote[fn] = self.ray.remote(num_cpus=1)(fn)
        return self._remote[fn]

    def map(self, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        remote = self._as_remote(fn)
        return list(self.ray.get([remote.remote(*a) for a in args]))

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.ray.get(self._as_remote(fn).remote(*args))

    def worker_pids(self) -> list[int]:
        """The processes that run tasks (the raylet may keep more, idle: those count as the engine's own)."""
        return sorted(set(self.map(worker_pid, [(i,) for i in range(10 * WORKERS)])))

    def stop(self) -> None:
        self.ray.shutdown()


def importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError as error:
        say(f"skipped {module}: not importable here ({error}); run with `uv run --with {module} ...`")
        return False
    return True


def page_of(body: bytes, i: int) -> FetchedPage:
    from content_pipeline.classify.models import FetchedPage

    url = f"http://127.0.0.1/p/{i}"
    return FetchedPage(url=url, final_url=url, content_type="text/html", body=body, charset="utf-8")


def measure(engine: Engine, tasks: int, chunks: list[list[FetchedPage]], rules_text: str) -> Figures:
    from content_pipeline.classify.dask_pool import classify_on_worker
    from content_pipeline.classify.pool import TASK_PAGES, split_tasks

    figures = Figures(engine.name)
    before = rss_mib(os.getpid())
    others = children()
    started = time.perf_counter()
    engine.start()
    engine.map(identity, [(i,) for i in range(WARM_UP_TASKS)])
    figures.start_s = time.perf_counter() - started
    figures.in_process_mib = rss_mib(os.getpid()) - before
    pids = engine.worker_pids()
    figures.idle_mib = [rss_mib(p) for p in pids]
    say(f"  {engine.name}: started with {len(pids)} workers in {figures.start_s:.1f} s; {load()}")

    started = time.perf_counter()
    answers = engine.map(identity, [(i,) for i in range(tasks)])
    wall = time.perf_counter() - started
    if answers != list(range(tasks)):
        raise RuntimeError(f"{engine.name} returned wrong answers to the trivial tasks")
    figures.tasks_per_s, figures.task_ms = tasks / wall, wall / tasks * 1000
    started = time.perf_counter()
    for i in range(SEQUENTIAL_TASKS):
        engine.call(identity, i)
    figures.round_trip_ms = (time.perf_counter() - started) / SEQUENTIAL_TASKS * 1000
    say(f"  {engine.name}: {tasks} trivial tasks at once {figures.tasks_per_s:,.0f} tasks/s "
        f"({figures.task_ms:.2f} ms a task); one at a time {figures.round_trip_ms:.2f} ms; {load()}")  # fmt: skip

    warm = chunks[0][: 4 * WORKERS * 2]
    engine.map(classify_on_worker, [(rules_text, warm[k : k + 2]) for k in range(0, len(warm), 2)])
    figures.warm_mib = [rss_mib(p) for p in engine.worker_pids()]
    out: list[Extraction] = []
    pids = engine.worker_pids()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    for chunk in chunks:
        ranges = split_tasks(len(chunk), [len(p.body) for p in chunk], TASK_PAGES)
        for answers in engine.map(classify_on_worker, [(rules_text, [chunk[i] for i in r]) for r in ranges]):
            out.extend(answers)
    wall = time.perf_counter() - started
    cpu_after = cpu_seconds()
    spent = {pid: cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after}
    figures.cpu_s = {
        "this process": spent.get(os.getpid(), 0.0),
        "workers": sum(spent.get(p, 0.0) for p in pids),
        "daemons": sum(t for p, t in spent.items() if p not in pids and p != os.getpid() and p not in others),
    }
    pages = sum(len(c) for c in chunks)
    figures.pages_per_s = pages / wall
    figures.classify_load = load()
    figures.extractions = [asdict(e) for e in out]
    pids = engine.worker_pids()
    figures.peak_mib = [peak_rss_mib(p) for p in pids]
    figures.daemons = engine.daemons(others)
    say(f"  {engine.name}: classify {pages} pages {figures.pages_per_s:.1f} pages/s ({wall:.1f} s); CPU s spent "
        + ", ".join(f"{k} {v:.1f}" for k, v in figures.cpu_s.items()) + f"; {load()}")  # fmt: skip
    say(f"  {engine.name}: workers' RSS MiB idle {fmt(figures.idle_mib)}, warm {fmt(figures.warm_mib)}, "
        f"peak {fmt(figures.peak_mib)}; this process grew {figures.in_process_mib:.0f} MiB at start; daemons: "
        + (", ".join(f"{n} {m:.0f}" for n, m in figures.daemons.items()) or "none"))  # fmt: skip
    engine.stop()
    return figures


def deployed_dask_rss() -> dict[str, float]:
    """RSS MiB of a `dask scheduler` and of a `dask worker --nworkers 2` process (which holds the 2 nannies), started
    as a deployment starts them, after a few tasks."""
    from distributed import Client

    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        address_file = str(Path(folder) / "scheduler.json")
        try:
            cli = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--scheduler-file", address_file]
            started.append(
                subprocess.Popen(
                    [*cli, "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            deadline = time.monotonic() + 60
            while not Path(address_file).exists():
                if time.monotonic() > deadline or started[0].poll() is not None:
                    raise RuntimeError("`dask scheduler` did not start")
                time.sleep(0.2)
            cli = [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", address_file]
            options = [
                "--nthreads",
                "1",
                "--nworkers",
                str(WORKERS),
                "--host",
                "127.0.0.1",
                "--dashboard-address",
                ":0",
            ]
            started.append(subprocess.Popen([*cli, *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            with Client(scheduler_file=address_file, set_as_default=False, timeout=60) as client:
                client.wait_for_workers(WORKERS, timeout=120)
                client.gather(client.map(identity, range(WARM_UP_TASKS), pure=False))
            return {
                "dask scheduler": rss_mib(started[0].pid),
                f"dask worker ({WORKERS} nannies)": rss_mib(started[1].pid),
            }
        finally:
            for process in reversed(started):
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def fmt(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in values) or "-"


# ---------------------------------------------------------------------------------------------------------------
# Dagster: one step per chunk


def chunk_job() -> dg.JobDefinition:
    """A job of one op emitting CHUNKS dynamic outputs, a trivial op mapped over them and one collecting op."""
    import dagster as dg

    count = int(os.environ.get("ENGINES_BENCH_CHUNKS", "20"))

    @dg.op(out=dg.DynamicOut(int))
    def emit_chunks() -> Iterator[Any]:  # Dagster resolves annotations at run time: no `dg.` here
        for i in range(count):
            yield dg.DynamicOutput(i, mapping_key=f"c{i}")

    @dg.op
    def work_on_chunk(chunk: int) -> int:
        return chunk

    @dg.op
    def collect_chunks(done: list[int]) -> int:
        return len(done)

    @dg.job
    def chunk_steps() -> None:
        collect_chunks(emit_chunks().map(work_on_chunk).collect())

    return chunk_steps


@dataclass
class StepFigures:
    steps: int
    wall_s: float
    step_s: list[float]  # per step: from its first event (worker starting) to its success

    @property
    def per_step_s(self) -> float:
        """Wall per step with the executor's concurrency taken out."""
        return self.wall_s * WORKERS / self.steps


def run_dagster(multiprocess: bool, chunks: int) -> StepFigures:
    import dagster as dg

    os.environ["ENGINES_BENCH_CHUNKS"] = str(chunks)
    executor = {"multiprocess": {"max_concurrent": WORKERS}} if multiprocess else {"in_process": {}}
    with dg.instance_for_test() as instance:
        run_config = {
            "execution": {"config": executor},
            "loggers": {"console": {"config": {"log_level": "WARNING"}}},
        }
        started = time.perf_counter()
        with dg.execute_job(dg.reconstructable(chunk_job), instance=instance, run_config=run_config) as result:
            wall = time.perf_counter() - started
            if not result.success or result.output_for_node("collect_chunks") != chunks:
                raise RuntimeError("the Dagster job failed")
        first: dict[str, float] = {}
        last: dict[str, float] = {}
        for event in instance.all_logs(result.run_id):
            key = event.step_key
            if key is None:
                continue
            first.setdefault(key, event.timestamp)
            if event.dagster_event is not None and event.dagster_event.event_type_value == "STEP_SUCCESS":
                last[key] = event.timestamp
        spans = [last[k] - first[k] for k in last]
    return StepFigures(len(spans), wall, spans)


def code_location_import_s() -> float:
    """Seconds a new process takes to import the project's Definitions (what each step process would pay)."""
    code = "import time; t = time.perf_counter(); import pipeline_defs.definitions; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--chunk", type=int, default=250, help="pages per chunk (the classify stage's default)")
    parser.add_argument("--tasks", type=int, default=2000, help="trivial tasks for the per-task overhead")
    parser.add_argument("--chunks", type=int, default=20, help="dynamic chunks (steps) of the Dagster job")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="where the pages are generated (kept)")
    args = parser.parse_args()
    if min(args.pages, args.chunk, args.tasks, args.chunks, args.rounds) < 1:
        parser.error("--pages, --chunk, --tasks, --chunks and --rounds must be at least 1")

    from e2e_origin import build_pages  # bench/: this folder is on sys.path

    from content_pipeline.classify.dispatcher import DEFAULT_RULES_PATH

    # Ray's workers run this Python directly (as Dask's do), not through `uv run` with a packaged working directory;
    # read when ray is imported.
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"
    engines: list[Engine] = []
    if importable("distributed"):
        engines.append(DaskEngine())
    if importable("ray"):
        engines.append(RayEngine())
    with_dagster = importable("dagster")
    versions = {m: sys.modules[m].__version__ for m in ("distributed", "ray", "dagster") if m in sys.modules}

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="content-pipeline-engines-"))
    store = build_pages(workdir / "pages", args.pages, os.cpu_count() or 1, say)
    pages = [page_of(store.body(i), i) for i in range(args.pages)]
    store.close()
    chunks = [pages[k : k + args.chunk] for k in range(0, len(pages), args.chunk)]
    rules_text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    say(f"{args.pages} pages in chunks of {args.chunk}; {os.cpu_count()} CPUs; "
        + ", ".join(f"{m} {v}" for m, v in versions.items()) + f"; {load()}")  # fmt: skip

    last: dict[str, Figures] = {}
    steps: dict[str, StepFigures] = {}
    step_load = ""
    for number in range(1, args.rounds + 1):
        say(f"round {number}")
        for engine in engines if number % 2 else engines[::-1]:
            figures = measure(engine, args.tasks, chunks, rules_text)
            last[engine.name] = figures
        if len(last) == 2:
            a, b = last.values()
            same = "the same extractions" if a.extractions == b.extractions else "DIFFERENT extractions"
            say(f"  {a.engine} and {b.engine} gave {same} for {len(a.extractions)} pages")
        if with_dagster:
            for multiprocess in (True, False):
                label = "multiprocess (2)" if multiprocess else "in process"
                figures_d = run_dagster(multiprocess, args.chunks)
                steps[label] = figures_d
                step_load = load()
                say(f"  Dagster {label}: {figures_d.steps} steps in {figures_d.wall_s:.1f} s, "
                    f"{figures_d.per_step_s:.2f} s a step (wall x {WORKERS if multiprocess else 1} / steps; "
                    f"each step's own span: median {statistics.median(figures_d.step_s):.2f} s, "
                    f"max {max(figures_d.step_s):.2f} s); {step_load}")  # fmt: skip
    if any(isinstance(e, DaskEngine) for e in engines):
        deployed = deployed_dask_rss()
        say("a deployed Dask's own processes, RSS MiB: " + ", ".join(f"{n} {m:.0f}" for n, m in deployed.items())
            + f"; {load()}")  # fmt: skip
    if with_dagster:
        say(f"importing the project's Definitions in a new process: {code_location_import_s():.1f} s; {load()}")

    say("")
    say(f"{'engine (last round)':<24} {'ms/task':>8} {'1-by-1 ms':>9} {'pages/s':>8} "
        f"{'worker RSS MiB idle/warm/peak':>34} {'daemon RSS MiB':>15}  load")  # fmt: skip
    for f in last.values():
        rss = f"{fmt(f.idle_mib)} / {fmt(f.warm_mib)} / {fmt(f.peak_mib)}"
        daemons = sum(f.daemons.values())
        note = f"{daemons:.0f} +{f.in_process_mib:.0f} in-proc"
        say(f"{f.engine:<24} {f.task_ms:8.2f} {f.round_trip_ms:9.2f} {f.pages_per_s:8.1f} {rss:>34} {note:>15}  "
            f"{f.classify_load}")  # fmt: skip
    for label, s in steps.items():
        say(f"{'Dagster ' + label:<24} {s.per_step_s * 1000:8.0f}  (a step: {s.per_step_s:.2f} s, "
            f"{s.steps} steps in {s.wall_s:.1f} s)  {step_load}")  # fmt: skip


if __name__ == "__main__":
    main()
