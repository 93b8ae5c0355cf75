"""How long each `content-pipeline` command takes to start (run by hand), next to baselines measured in the same run.

    uv run python bench/cli_startup.py [--runs 5]

Each command runs in its own subprocess (`python -m pipeline_defs.cli ...`, as the `content-pipeline` script does),
with a temporary CONTENT_PIPELINE_HOME holding a small catalog; the figure is the median wall time from start to exit
(for `sample-site`, to its first line: it serves until stopped). The baselines are `python -c pass` (the
interpreter) and `python -c "import dagster"` (what any command that loads Dagster pays at least). Commands that do
not run the graph (`--help`, `sql`, `sample-site`, `config`) import neither Dagster nor the Definitions (`config`
reads the resources' fields from resources/fields/); `run` before the start date shows what loading Dagster, the
resources and the settings costs before a day is refused.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CLI = [sys.executable, "-m", "pipeline_defs.cli"]
COMMANDS: dict[str, list[str]] = {
    "baseline: python -c pass": [sys.executable, "-c", "pass"],
    'baseline: python -c "import dagster"': [sys.executable, "-c", "import dagster"],
    "content-pipeline --help": [*CLI, "--help"],
    "content-pipeline run --help": [*CLI, "run", "--help"],
    "content-pipeline run --date 2026-13-01 (refused)": [*CLI, "run", "--date", "2026-13-01"],
    'content-pipeline sql "select count(*) from export"': [*CLI, "sql", "select count(*) from export"],
    "content-pipeline sample-site (to its first line)": [*CLI, "sample-site", "--port", "0"],
    "content-pipeline config": [*CLI, "config"],
    "content-pipeline run --date 2000-01-01 (before the start)": [*CLI, "run", "--date", "2000-01-01"],
}


def started_in(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit, or to the first line of a command that serves until stopped."""
    began = time.perf_counter()
    if "sample-site" in command:
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
            assert process.stdout is not None
            process.stdout.readline()
            elapsed = time.perf_counter() - began
            process.terminate()
        return elapsed
    subprocess.run(command, env=env, capture_output=True, check=False)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (the median is shown)")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with duckdb.connect(str(home / "catalog.duckdb")) as con:
            con.sql("create view export as select 'ok' as status")
        kept = {k: v for k, v in os.environ.items() if not k.startswith(("CONTENT_PIPELINE_", "DAGSTER_"))}
        env = {**kept, "CONTENT_PIPELINE_HOME": str(home)}
        medians = {name: statistics.median(started_in(cmd, env) for _ in range(runs)) for name, cmd in COMMANDS.items()}
    base = medians["baseline: python -c pass"]
    dagster = medians['baseline: python -c "import dagster"']
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, median of {runs} runs")
    print(f"{'command':<60} {'seconds':>8} {'x import dagster':>17}")
    for name, seconds in medians.items():
        print(f"{name:<60} {seconds:>8.2f} {seconds / dagster:>17.2f}")
    print(f"(the interpreter alone: {base:.2f} s)")


if __name__ == "__main__":
    main()
