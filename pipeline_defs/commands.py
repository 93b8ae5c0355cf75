"""The commands of `content-pipeline`: run the demo, run a day, backfill a range of days, query the catalog with SQL, or
show the effective settings.

Imported by `pipeline_defs.cli` only once a command runs (see there why). Before a command runs, the `.env` files of
the current folder and of the project folder are loaded into the environment (a variable already set keeps its value).
"""

import argparse
import contextlib
import csv
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from content_pipeline.export.files_stage import REPORT_FILE
from content_pipeline.fetch.stats import FIGURES, STATS_COLUMNS, fetch_stats
from content_pipeline.sample_site.server import sample_urls, serve_sample_site
from content_pipeline.stages import Stage
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs import environment
from pipeline_defs.config_report import report_lines
from pipeline_defs.foreground import Foreground, say
from pipeline_defs.progress_display import showing_progress
from pipeline_defs.run_guard import free_slots_of_ended_runs, reap_dead_runs
from pipeline_defs.runner import POOLS, Resume, project_instance, resume_point, run_partition, run_range
from pipeline_defs.settings import PROJECT_ROOT, Settings
from pipeline_defs.summary import SUMMARY_COLUMNS, summarize

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8765


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def write_demo_inbox(inbox: Path, day: str, base_url: str) -> Path:
    """Drop the sample site's URL list into the inbox as a CSV file named for `day`."""
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / f"sample-site-{day}.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "expected_kind"])
        writer.writerows(sample_urls(base_url))
    return target


def report_failures(result: dg.ExecuteInProcessResult, label: str = "") -> None:
    for event in result.all_node_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            print(f"{label}{event.step_key} failed: {error.message if error else 'unknown error'}", file=sys.stderr)


def guarded_instance() -> dg.DagsterInstance:
    """The project's instance, with the runs whose process died marked failed and their pool slots freed."""
    instance = project_instance()
    for dead in reap_dead_runs(instance):
        say(dead.describe())
    free_slots_of_ended_runs(instance)  # e.g. a slot a run stopped by Ctrl-C claimed again as it ended
    return instance


def run_and_report(settings: Settings, day: str, may_resume: bool = False) -> int:
    """Run the day's partition in the foreground; with `may_resume`, a day whose last run died goes on from there."""
    instance = guarded_instance()
    resume: Resume | None = resume_point(instance, settings, day) if may_resume else None
    if resume is not None:
        say(resume.describe(day))
    foreground: Foreground[dg.ExecuteInProcessResult] = Foreground(instance, POOLS)
    with showing_progress():
        result = foreground.run(
            lambda: run_partition(settings, day, instance, log_level="WARNING", resume=resume, on_run=foreground.track)
        )
    if not result.success:
        report_failures(result)
        return 1
    store = PartitionStore(settings.warehouse)
    written = [str(settings.output / day / name) for name in ("records.csv", "records.parquet", REPORT_FILE)]
    exported = store.read(Stage.EXPORT, day, [c for c in SUMMARY_COLUMNS if c in export_columns(store, day)])
    print(summarize(exported, settings, day, written, fetch_figures(result, store, day)))
    return 0


def fetch_figures(result: dg.ExecuteInProcessResult, store: PartitionStore, day: str) -> dict[str, float | int]:
    """This run's fetch figures, from its fetch materialization (a kept partition holds the timings of the run
    that stored it); from the stored partition when this run did not fetch (it went on from a later stage)."""
    for materialization in result.asset_materializations_for_node(Stage.FETCH):
        shown = {key: value.value for key, value in materialization.metadata.items()}
        figures = {key: shown.get(key) for key in FIGURES}
        if all(isinstance(value, int | float) for value in figures.values()):
            return figures  # type: ignore[return-value]
    return fetch_stats(store.read(Stage.FETCH, day, STATS_COLUMNS))


def export_columns(store: PartitionStore, day: str) -> list[str]:
    with store.reader(Stage.EXPORT, day) as reader:
        return reader.columns


def demo(args: argparse.Namespace) -> int:
    """Serve the bundled sample site on loopback, drop its URL list in the inbox, run today's partition."""
    settings = Settings.from_env().allowing(DEMO_HOST)
    port = args.port if port_is_free(DEMO_HOST, args.port) else 0
    with serve_sample_site(DEMO_HOST, port) as base_url:
        inbox_file = write_demo_inbox(settings.inbox, args.date, base_url)
        print(f"sample site at {base_url}; URL list dropped at {inbox_file}")
        return run_and_report(settings, args.date)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run(args: argparse.Namespace) -> int:
    return run_and_report(Settings.from_env(), args.date, may_resume=not args.from_start)


def backfill(args: argparse.Namespace) -> int:
    """Run every day from --from to --to through the whole chain, in as few runs as the backfill policy allows."""
    settings = Settings.from_env()
    started = time.perf_counter()
    instance = guarded_instance()
    foreground: Foreground[list[dg.ExecuteInProcessResult]] = Foreground(instance, POOLS)
    try:
        with showing_progress():
            results = foreground.run(
                lambda: run_range(
                    settings,
                    args.start,
                    args.end,
                    instance,
                    max_days_per_run=args.days_per_run,
                    on_run=foreground.track,
                )
            )
    except ValueError as exc:
        print(f"backfill: {exc}", file=sys.stderr)
        return 2
    wall_s = time.perf_counter() - started
    failed = [r for r in results if not r.success]
    for result in failed:
        report_failures(result, f"run {result.run_id[:8]}: ")
    days = sorted({day for r in results for day in materialized_days(r, Stage.EXPORT)})
    print(f"runs launched: {len(results)} ({len(failed)} failed)")
    print(f"wall time: {wall_s:.1f} s ({wall_s / max(1, len(days)):.1f} s per day exported)")
    print(day_counts_table(PartitionStore(settings.warehouse), days))
    return 1 if failed else 0


def materialized_days(result: dg.ExecuteInProcessResult, asset: str) -> list[str]:
    """The partitions of `asset` that the run recorded a materialization for."""
    events = result.get_asset_materialization_events()
    materializations = [e.step_materialization_data.materialization for e in events]
    return [m.partition for m in materializations if m.asset_key == dg.AssetKey(asset) and m.partition]


def day_counts_table(store: PartitionStore, days: list[str]) -> str:
    """Records per day, and how many came through every stage ('ok') or stopped at one."""
    lines = ["day          records       ok   not ok"]
    for day in days:
        statuses = store.read(Stage.EXPORT, day, ["status"])["status"]
        ok = int((statuses == "ok").sum())
        lines.append(f"{day}  {len(statuses):>7}  {ok:>7}  {len(statuses) - ok:>7}")
    return "\n".join(lines)


def sample_site(args: argparse.Namespace) -> int:
    """Serve the sample site until interrupted, so the UI can rematerialize the demo's partitions."""
    with serve_sample_site(DEMO_HOST, args.port) as base_url:
        print(f"sample site at {base_url} (Ctrl-C stops it)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


def sql(args: argparse.Namespace) -> int:
    """Run one SQL statement against the catalog (read-only) and print the result."""
    catalog = Settings.from_env().catalog
    if not catalog.is_file():
        print(f"no catalog at {catalog}: run a partition first (content-pipeline demo)", file=sys.stderr)
        return 1
    with duckdb.connect(str(catalog), read_only=True) as con:
        con.sql(args.query).show(max_width=200)
    return 0


def config(args: argparse.Namespace) -> int:
    """Print every setting's effective value and where it came from; secrets only as set or unset."""
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"content-pipeline: the settings are refused:\n{exc}", file=sys.stderr)
        return 2
    print("\n".join(report_lines(settings, args.dotenv_files)))
    return 0


def main(argv: list[str] | None = None) -> int:
    dotenv_files = environment.load_dotenv([Path.cwd(), PROJECT_ROOT])
    parser = argparse.ArgumentParser(prog="content-pipeline", description=__doc__)
    commands = parser.add_subparsers(required=True)
    demo_parser = commands.add_parser("demo", help="run the whole pipeline on the bundled sample site")
    demo_parser.add_argument("--date", default=today(), help="partition day, YYYY-MM-DD (default: today, UTC)")
    demo_parser.add_argument("--port", type=int, default=DEMO_PORT, help="sample site port (0: any free port)")
    demo_parser.set_defaults(handler=demo)
    run_parser = commands.add_parser("run", help="run the pipeline for one day of the inbox")
    run_parser.add_argument("--date", default=today(), help="partition day, YYYY-MM-DD (default: today, UTC)")
    run_parser.add_argument(
        "--from-start",
        action="store_true",
        help="run every stage, even when the day's last run died midway (by default it goes on where it stopped)",
    )
    run_parser.set_defaults(handler=run)
    backfill_parser = commands.add_parser("backfill", help="run the pipeline for every day of a range of days")
    backfill_parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    backfill_parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (included)")
    backfill_parser.add_argument(
        "--days-per-run", type=int, default=None, help="days per run (default: the stages' backfill policy)"
    )
    backfill_parser.set_defaults(handler=backfill)
    site_parser = commands.add_parser("sample-site", help="serve the bundled sample site on 127.0.0.1 until Ctrl-C")
    site_parser.add_argument("--port", type=int, default=DEMO_PORT)
    site_parser.set_defaults(handler=sample_site)
    sql_parser = commands.add_parser("sql", help="query the catalog: one view per stage over all partitions")
    sql_parser.add_argument("query")
    sql_parser.set_defaults(handler=sql)
    config_parser = commands.add_parser(
        "config", help="show every setting's value and where it came from (secrets only as set or unset)"
    )
    config_parser.set_defaults(handler=config)
    args = parser.parse_args(argv)
    args.dotenv_files = dotenv_files
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
