"""Wall time, runs launched and memory of a 30-day backfill of the demo inputs against one run per day (run by hand).

    uv run python bench/backfill.py [--days 30] [--baseline-days 3] [--compare-days-per-run 30]

The bundled sample site is served on 127.0.0.1 by this process; every day of the range gets the demo's URL list as
`sample-site-<day>.csv` in an inbox (`write_demo_inbox` in pipeline_defs/commands.py). Each measurement starts with a
fresh warehouse, caches and Dagster instance (SQLite) in a temporary folder, and runs in its own subprocess, as a
run launched by Dagster does, so that it pays for its own start (Python, `import dagster`, the local model):
  - baseline: one run per day (`run_partition`, what a backfill without a policy launches), each in its own process,
    for the first --baseline-days days; its per-day figures are extrapolated to the whole range;
  - policy: `run_range` over all --days days with the stages' backfill policy (assets/ranges.py: MAX_DAYS_PER_RUN),
    all its runs in one process (as `content-pipeline backfill`);
  - compare: the same with --compare-days-per-run days per run (default 30: a single run), for the choice of policy.
Every measurement reports its process wall time (start to exit), the time inside the runs, runs launched, the
materializations recorded per asset (each day once per asset, with that day's row count) and the process's peak RSS.
The ratios at the end compare the backfills' wall time per day with the baseline's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

RESULT_PREFIX = "RESULT "
WORKER_TIMEOUT_S = 3600
FIRST_DAY = date(2026, 1, 1)
STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results")
ROWS_OF = {"export_files": "export"}  # outside the warehouse: the partition whose rows its files hold
NOT_COUNTED = {"sheet_results"}  # the Sheet's rows (off in this bench: 0) are no partition's
INSTANCE_YAML = "telemetry:\n  enabled: false\n"


# ---------------------------------------------------------------------------------------------------------------
# The worker (a subprocess per measurement, or per day for the baseline)


def worker(args: argparse.Namespace) -> None:
    """Run the pipeline for one day or a range on the instance under DAGSTER_HOME; print one RESULT line."""
    import dagster as dg

    from content_pipeline.warehouse.partition_store import PartitionStore
    from pipeline_defs.runner import run_partition, run_range
    from pipeline_defs.settings import Settings

    settings = Settings.from_env(
        {"CONTENT_PIPELINE_HOME": args.home, "CONTENT_PIPELINE_START_DATE": FIRST_DAY.isoformat()}
    ).allowing("127.0.0.1")
    instance = dg.DagsterInstance.get()
    started = time.perf_counter()
    if args.worker == "partition":
        results = [run_partition(settings, args.start, instance, log_level="WARNING")]
    else:
        results = run_range(settings, args.start, args.end, instance, max_days_per_run=args.days_per_run or None)
    in_runs_s = time.perf_counter() - started
    store = PartitionStore(settings.warehouse_root)
    recorded: dict[str, dict[str, int]] = {stage: {} for stage in STAGES}  # asset -> day -> materializations
    wrong_counts = 0
    for result in results:
        for event in result.get_asset_materialization_events():
            materialization = event.step_materialization_data.materialization
            asset, day = materialization.asset_key.to_user_string(), materialization.partition or ""
            recorded[asset][day] = recorded[asset].get(day, 0) + 1
            if asset not in NOT_COUNTED:
                shown = materialization.metadata["dagster/row_count"].value
                wrong_counts += shown != len(store.read(ROWS_OF.get(asset, asset), day, ["record_id"]))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        RESULT_PREFIX
        + json.dumps(
            {
                "in_runs_s": in_runs_s,
                "runs": len(results),
                "failed_runs": sum(not r.success for r in results),
                "recorded": recorded,
                "wrong_row_counts": wrong_counts,
                "peak_rss_mib": peak_kib / 1024,
            }
        ),
        flush=True,
    )


# ---------------------------------------------------------------------------------------------------------------
# Measurements (in the parent)


@dataclass
class Measurement:
    name: str
    days: int  # days covered by what was run
    wall_s: float = 0.0  # processes, start to exit, summed
    in_runs_s: float = 0.0  # inside the run calls, summed
    runs: int = 0
    failed_runs: int = 0
    processes: int = 0
    peak_rss_mib: float = 0.0  # the largest of its processes
    recorded: dict[str, dict[str, int]] = field(default_factory=dict)
    wrong_row_counts: int = 0
    error: str = ""

    def per_day(self, seconds: float) -> float:
        return seconds / max(1, self.days)

    def add(self, result: dict[str, Any], wall_s: float) -> None:
        self.wall_s += wall_s
        self.in_runs_s += float(result["in_runs_s"])
        self.runs += int(result["runs"])
        self.failed_runs += int(result["failed_runs"])
        self.processes += 1
        self.peak_rss_mib = max(self.peak_rss_mib, float(result["peak_rss_mib"]))
        self.wrong_row_counts += int(result["wrong_row_counts"])
        for asset, days in result["recorded"].items():
            seen = self.recorded.setdefault(asset, {})
            for day, n in days.items():
                seen[day] = seen.get(day, 0) + n


def fresh_home(root: Path, name: str, base_url: str, days: list[str]) -> tuple[Path, Path]:
    """A content-pipeline home with the demo inbox for `days`, and an empty Dagster home beside it."""
    from pipeline_defs.commands import write_demo_inbox

    home, dagster_home = root / name / "home", root / name / "dagster"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    for day in days:
        write_demo_inbox(home / "inbox", day, base_url)
    return home, dagster_home


def run_worker(home: Path, dagster_home: Path, *worker_args: str) -> tuple[dict[str, Any] | None, float, str]:
    """One worker subprocess: (its RESULT, its wall time, the end of its output when it failed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "CONTENT_PIPELINE_"))}
    env["DAGSTER_HOME"] = str(dagster_home)
    command = [sys.executable, str(Path(__file__).resolve()), "--home", str(home), *worker_args]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False)
    wall_s = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        return None, wall_s, f"exit code {done.returncode}: {(done.stderr or done.stdout).strip()[-1500:]}"
    return json.loads(lines[-1][len(RESULT_PREFIX) :]), wall_s, ""


def measure_baseline(root: Path, base_url: str, days: list[str]) -> Measurement:
    """One run per day, each in its own process, on one warehouse and instance (as consecutive launched runs)."""
    m = Measurement("one run per day", len(days))
    home, dagster_home = fresh_home(root, "baseline", base_url, days)
    for day in days:
        result, wall_s, error = run_worker(home, dagster_home, "--worker", "partition", "--from", day)
        if result is None:
            m.error = error
            return m
        m.add(result, wall_s)
        print(f"  baseline {day}: {wall_s:.1f} s in its process, {result['in_runs_s']:.1f} s in the run", flush=True)
    return m


def measure_range(root: Path, base_url: str, days: list[str], name: str, days_per_run: int | None) -> Measurement:
    """`run_range` over `days` in one process (days_per_run None: the stages' backfill policy)."""
    m = Measurement(name, len(days))
    home, dagster_home = fresh_home(root, name.replace(" ", "-"), base_url, days)
    worker_args = ["--worker", "range", "--from", days[0], "--to", days[-1]]
    result, wall_s, error = run_worker(home, dagster_home, *worker_args, "--days-per-run", str(days_per_run or 0))
    if result is None:
        m.error = error
        return m
    m.add(result, wall_s)
    print(f"  {name}: {wall_s:.1f} s in its process, {result['runs']} runs", flush=True)
    return m


# ---------------------------------------------------------------------------------------------------------------
# Report

HEADER = (
    f"{'measurement':<26} {'days':>4} {'runs':>4} {'wall s':>7} {'s/day':>6} {'in runs s':>9} {'s/day':>6} "
    f"{'peak MiB':>8}  materializations per asset (days x times)"
)


def recorded_summary(m: Measurement) -> str:
    """'30x1' per asset when every day was recorded exactly once; what was seen otherwise."""
    parts = []
    for asset in STAGES:
        seen = m.recorded.get(asset, {})
        times = sorted(set(seen.values()))
        parts.append(f"{asset} {len(seen)}x{'/'.join(map(str, times)) or '0'}")
    return ", ".join(parts)


def table_row(m: Measurement) -> str:
    if m.error:
        return f"{m.name:<26} error: {m.error}"
    return (
        f"{m.name:<26} {m.days:>4} {m.runs:>4} {m.wall_s:>7.1f} {m.per_day(m.wall_s):>6.2f} {m.in_runs_s:>9.1f} "
        f"{m.per_day(m.in_runs_s):>6.2f} {m.peak_rss_mib:>8.0f}  {recorded_summary(m)}"
    )


def checks(m: Measurement) -> list[str]:
    """What is wrong with a backfill's record: a day missing or recorded twice, a wrong row count, a failed run."""
    problems = []
    for asset in STAGES:
        seen = m.recorded.get(asset, {})
        if len(seen) != m.days or set(seen.values()) != {1}:
            problems.append(f"{asset}: {len(seen)} days recorded (times: {sorted(set(seen.values()))})")
    if m.wrong_row_counts:
        problems.append(f"{m.wrong_row_counts} materializations whose row count differs from the stored partition")
    if m.failed_runs:
        problems.append(f"{m.failed_runs} runs failed")
    return problems


def print_report(baseline: Measurement, backfills: list[Measurement], total_days: int) -> None:
    print()
    print(HEADER)
    print("-" * len(HEADER))
    for m in [baseline, *backfills]:
        print(table_row(m))
    print()
    if baseline.error:
        print("no baseline: no ratios")
        return
    base_wall, base_in = baseline.per_day(baseline.wall_s), baseline.per_day(baseline.in_runs_s)
    print(
        f"baseline extrapolated to {total_days} days: {base_wall * total_days:.0f} s wall in {total_days} runs "
        f"({base_in * total_days:.0f} s inside the runs)"
    )
    for m in backfills:
        if m.error:
            continue
        wall_ratio = m.per_day(m.wall_s) / base_wall
        in_ratio = m.per_day(m.in_runs_s) / base_in
        print(
            f"{m.name}: wall time per day = {wall_ratio:.2f} x one run per day ({1 / wall_ratio:.1f}x faster); "
            f"inside the runs {in_ratio:.2f} x; {m.runs} runs instead of {m.days}"
        )
        for problem in checks(m):
            print(f"  CHECK FAILED: {problem}")
    print(
        "\nwall: each process from start to exit (Python, imports, the local model, Dagster's run start included); "
        "in runs: inside run_partition / run_range only.\npeak MiB: the largest peak RSS among a measurement's "
        "processes."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30, help="days in the backfill")
    parser.add_argument("--baseline-days", type=int, default=3, help="days run one per run, extrapolated")
    parser.add_argument("--compare-days-per-run", type=int, default=30, help="0: no comparison")
    parser.add_argument("--worker", choices=("partition", "range"), help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--from", dest="start", help=argparse.SUPPRESS)
    parser.add_argument("--to", dest="end", help=argparse.SUPPRESS)
    parser.add_argument("--days-per-run", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    from assets.ranges import MAX_DAYS_PER_RUN
    from content_pipeline.sample_site.server import serve_sample_site

    days = [(FIRST_DAY + timedelta(days=n)).isoformat() for n in range(args.days)]
    print(
        f"{args.days} days from {days[0]}, the sample site's URL list each day; policy: {MAX_DAYS_PER_RUN} days per "
        f"run; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as folder, serve_sample_site("127.0.0.1", 0) as base:
        root = Path(folder)
        baseline = measure_baseline(root, base, days[: args.baseline_days])
        backfills = [measure_range(root, base, days, f"policy ({MAX_DAYS_PER_RUN}/run)", None)]
        if args.compare_days_per_run and args.compare_days_per_run != MAX_DAYS_PER_RUN:
            size = args.compare_days_per_run
            backfills.append(measure_range(root, base, days, f"compare ({size}/run)", size))
    print_report(baseline, backfills, args.days)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[2]:.1f} (15 min)")


if __name__ == "__main__":
    main()
