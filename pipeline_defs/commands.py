"""The commands of `content-pipeline` that run the graph: run the demo, run a day, backfill a range of days.

Imported by `pipeline_defs.cli` only once one of them runs (see there why; the light ones are in light_commands.py).
Before a command runs, the `.env` files of the current folder and of the project folder are loaded into the
environment (a variable already set keeps its value).
"""

import argparse
import csv
import socket
import sys
import time
from pathlib import Path

import dagster as dg

from content_pipeline.export.files_stage import REPORT_FILE
from content_pipeline.export.output_store import output_at
from content_pipeline.fetch.stats import FIGURES, STATS_COLUMNS, fetch_stats
from content_pipeline.ingest.empty_day import Sources, explain_empty_day
from content_pipeline.sample_site.server import sample_urls, serve_sample_site
from content_pipeline.stages import Stage
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs import day_checks
from pipeline_defs.file_checks import check_cache_databases, check_folders, check_user_files
from pipeline_defs.foreground import Foreground, say
from pipeline_defs.light_commands import DEMO_HOST
from pipeline_defs.progress_display import showing_progress
from pipeline_defs.run_guard import free_slots_of_ended_runs, reap_dead_runs
from pipeline_defs.runner import POOLS, Resume, project_instance, resume_point, run_partition, run_range
from pipeline_defs.settings import Settings
from pipeline_defs.step_failures import failure_line
from pipeline_defs.summary import SUMMARY_COLUMNS, summarize


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
            print(f"{label}{event.step_key} failed: {failure_line(error)}", file=sys.stderr)


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
    store = PartitionStore(settings.warehouse_root)
    output = output_at(settings.output_root)
    written = [str(output.join(day, name)) for name in ("records.csv", "records.parquet", REPORT_FILE)]
    exported = store.read(Stage.EXPORT, day, [c for c in SUMMARY_COLUMNS if c in export_columns(store, day)])
    print(summarize(exported, settings, day, written, fetch_figures(result, store, day)))
    if exported.height == 0:
        print("\n".join(explain_empty_day(day, sources_of(settings))))
    return 0


def sources_of(settings: Settings) -> Sources:
    """Where ingest reads a day from, as the settings say."""
    sheets = settings.resources.sheets
    worksheet = sheets.input_worksheet or "the first worksheet"
    sheet = f"spreadsheet {sheets.spreadsheet_id}, {worksheet}" if sheets.enabled else ""
    return Sources(settings.inbox, settings.resources.inbox.image_roots(), sheet)


def check_days(settings: Settings, *days: str) -> None:
    """UserError when a day lies outside the partitions (pipeline_defs/day_checks.py). The command line checks
    before it loads the graph; this is for callers that do not come through it."""
    day_checks.check_days(settings.start_date, *days)


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
    check_days(settings, args.date)
    check_user_files(settings)
    check_folders(settings)
    check_cache_databases(settings)
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
    settings = Settings.from_env()
    check_days(settings, args.date)
    check_user_files(settings)
    check_folders(settings)
    check_cache_databases(settings)
    return run_and_report(settings, args.date, may_resume=not args.from_start)


def backfill(args: argparse.Namespace) -> int:
    """Run every day from --from to --to through the whole chain, in as few runs as the backfill policy allows."""
    settings = Settings.from_env()
    check_days(settings, args.start, args.end)
    check_user_files(settings)
    check_folders(settings)
    check_cache_databases(settings)
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
    print(day_counts_table(PartitionStore(settings.warehouse_root), days))
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
