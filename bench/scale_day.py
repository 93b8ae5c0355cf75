"""A whole day of N URLs with classify on a Dask cluster of 1, then of 2 single-threaded workers (run by hand).

    uv run python bench/scale_day.py [--urls 20000] [--concurrency 64] [--workdir DIR]

The issue's measure of scale-out on this machine: the same day, the real `content-pipeline run --date DAY` in a
child process (bench/e2e.py's origin, inbox, environment and run log), with CONTENT_PIPELINE_DASK_SCHEDULER pointing
at a LocalCluster started here (the scheduler in this process, each worker a process of its own with one thread).
Printed per configuration: the run's wall and each stage's, then the ratio of the walls (target: 2 workers >= 1.6x
one worker on a CPU-bound day) and whether both runs stored the same classify rows. Fetch, categorize and the
exports run in the run's own process in both configurations; only classify's extraction moves to the workers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from e2e import DAY, Origin, child_env, read_run_log, run_pipeline, say, write_inbox  # bench/ is on sys.path
from e2e_origin import build_pages

SHOWN = ("fetch", "classify", "categorize", "export", "export_files")


def one_configuration(workers: int, workdir: Path, origin: Origin, urls: int, concurrency: int) -> tuple[float, Path]:
    """The run's wall with `workers` Dask workers, and its warehouse."""
    from distributed import LocalCluster

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
        figures = run_pipeline(env, logs, f"dask-{workers}")
    if figures.exit_code != 0:
        raise SystemExit(f"the run with {workers} worker(s) failed: see {figures.log}")
    log = read_run_log(dagster_home)
    stages = ", ".join(
        f"{name} {log.stages[name].wall_s:.1f} s" for name in SHOWN if log.stages[name].wall_s is not None
    )
    say(f"{workers} worker(s): wall {figures.wall_s:.1f} s ({stages}); load average {os.getloadavg()[0]:.2f}")
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

    same = (
        PartitionStore(one_store)
        .read("classify", DAY)
        .sort("record_id")
        .equals(PartitionStore(two_store).read("classify", DAY).sort("record_id"))
    )
    ratio = one_wall / two_wall
    verdict = "PASS" if ratio >= 1.6 else "BELOW TARGET"
    say(f"2 workers / 1 worker: {ratio:.2f}x faster (target >= 1.6: {verdict}); same classify rows: {same}")


if __name__ == "__main__":
    main()
