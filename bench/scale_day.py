"""A whole day of N URLs with classify and categorize on a Dask cluster of 1, then of 2 single-threaded workers.

    uv run python bench/scale_day.py [--urls 20000] [--concurrency 64] [--workdir DIR]

The issue's measure of scale-out on this machine: the same day, the real `content-pipeline run --date DAY` in a
child process (bench/e2e.py's origin, inbox, environment and run log), with CONTENT_PIPELINE_DASK_SCHEDULER pointing
at a LocalCluster started here (the scheduler in this process, each worker a process of its own with one thread).
Printed per configuration: the run's wall and each stage's and the peak RSS of each worker process (sampled every
0.5 s), then the ratio of the walls (target: 2 workers >= 1.6x one worker on a CPU-bound day) and whether both runs
stored the same classify and categorize rows. Classify's extraction and the local model's categorize answers move to
the workers; fetch and the exports run in the run's own process in both configurations. Run it at two sizes
(`--urls 5000`, `--urls 20000`) to see whether a worker's peak stays flat as the day grows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
from pathlib import Path

from e2e import DAY, Origin, child_env, read_run_log, run_pipeline, say, write_inbox  # bench/ is on sys.path
from e2e_origin import build_pages

SHOWN = ("fetch", "classify", "categorize", "export", "export_files")
COMPARED = ("classify", "categorize")  # the stages whose rows must not depend on the number of workers


class WorkerPeaks:
    """The peak RSS of each of a cluster's worker processes, sampled in a thread until `stop()`."""

    def __init__(self, pids: list[int], every_s: float = 0.5) -> None:
        self.peaks = dict.fromkeys(pids, 0)
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(self.every_s):
            for pid in self.peaks:
                try:
                    self.peaks[pid] = max(self.peaks[pid], psutil.Process(pid).memory_info().rss)
                except psutil.NoSuchProcess:
                    continue

    def stop(self) -> list[float]:
        """Each worker's peak, in MiB."""
        self._stop.set()
        self._thread.join()
        return [peak / 2**20 for peak in self.peaks.values()]


def one_configuration(workers: int, workdir: Path, origin: Origin, urls: int, concurrency: int) -> tuple[float, Path]:
    """The run's wall with `workers` Dask workers, and its warehouse."""
    from distributed import Client, LocalCluster

    home, dagster_home, logs = (workdir / f"{name}-{workers}" for name in ("home", "dagster", "logs"))
    for folder in (home, dagster_home, logs):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nnux:\n  enabled: false\n")
    write_inbox(home, origin, urls)
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as cluster:
        env = child_env(home, dagster_home, origin.port, concurrency)
        env["CONTENT_PIPELINE_DASK_SCHEDULER"] = cluster.scheduler_address
        with Client(cluster) as client:
            pids = list(client.run(os.getpid).values())
        peaks = WorkerPeaks(pids)
        figures = run_pipeline(env, logs, f"dask-{workers}")
        worker_peaks = peaks.stop()
    if figures.exit_code != 0:
        raise SystemExit(f"the run with {workers} worker(s) failed: see {figures.log}")
    log = read_run_log(dagster_home)
    stages = ", ".join(
        f"{name} {log.stages[name].wall_s:.1f} s" for name in SHOWN if log.stages[name].wall_s is not None
    )
    say(f"{workers} worker(s): wall {figures.wall_s:.1f} s ({stages}); load average {os.getloadavg()[0]:.2f}")
    say(f"  peak RSS of each worker: {', '.join(f'{mib:.0f} MiB' for mib in worker_peaks)}")
    return figures.wall_s, home / "warehouse"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workdir", type=Path, default=None, help="work folder (pages kept for the next run)")
    args = parser.parse_args()
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="content-pipeline-scale-day-"))).resolve()
    store = build_pages(workdir / "pages", args.urls, os.cpu_count() or 1, say)
    origin = Origin(workdir / "pages")
    try:
        say(f"{args.urls} URLs, day {DAY}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        one_wall, one_store = one_configuration(1, workdir, origin, args.urls, args.concurrency)
        two_wall, two_store = one_configuration(2, workdir, origin, args.urls, args.concurrency)
    finally:
        origin.close()
        store.close()
    from content_pipeline.warehouse.partition_store import PartitionStore

    same = {
        stage: PartitionStore(one_store)
        .read(stage, DAY)
        .sort("record_id")
        .equals(PartitionStore(two_store).read(stage, DAY).sort("record_id"))
        for stage in COMPARED
    }
    ratio = one_wall / two_wall
    verdict = "PASS" if ratio >= 1.6 else "BELOW TARGET"
    rows = ", ".join(f"{stage} {same[stage]}" for stage in COMPARED)
    say(f"2 workers / 1 worker: {ratio:.2f}x faster (target >= 1.6: {verdict}); the same rows: {rows}")


if __name__ == "__main__":
    main()
