"""`content-pipeline`: run the demo, run a day's partition, or query the catalog with SQL."""

import argparse
import contextlib
import csv
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from content_pipeline.fetch.stats import fetch_stats
from content_pipeline.sample_site.server import sample_urls, serve_sample_site
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import project_instance, run_partition
from pipeline_defs.settings import Settings
from pipeline_defs.summary import summarize

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


def run_and_report(settings: Settings, day: str) -> int:
    result = run_partition(settings, day, project_instance(), log_level="WARNING")
    if not result.success:
        for event in result.all_node_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                print(f"{event.step_key} failed: {error.message if error else 'unknown error'}", file=sys.stderr)
        return 1
    store = PartitionStore(settings.warehouse)
    written = [str(settings.output / day / name) for name in ("records.csv", "records.parquet")]
    print(summarize(store.read("export", day), settings, day, written, fetch_stats(store.read("fetch", day))))
    return 0


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
    return run_and_report(Settings.from_env(), args.date)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="content-pipeline", description=__doc__)
    commands = parser.add_subparsers(required=True)
    demo_parser = commands.add_parser("demo", help="run the whole pipeline on the bundled sample site")
    demo_parser.add_argument("--date", default=today(), help="partition day, YYYY-MM-DD (default: today, UTC)")
    demo_parser.add_argument("--port", type=int, default=DEMO_PORT, help="sample site port (0: any free port)")
    demo_parser.set_defaults(handler=demo)
    run_parser = commands.add_parser("run", help="run the pipeline for one day of the inbox")
    run_parser.add_argument("--date", default=today(), help="partition day, YYYY-MM-DD (default: today, UTC)")
    run_parser.set_defaults(handler=run)
    site_parser = commands.add_parser("sample-site", help="serve the bundled sample site on 127.0.0.1 until Ctrl-C")
    site_parser.add_argument("--port", type=int, default=DEMO_PORT)
    site_parser.set_defaults(handler=sample_site)
    sql_parser = commands.add_parser("sql", help="query the catalog: one view per stage over all partitions")
    sql_parser.add_argument("query")
    sql_parser.set_defaults(handler=sql)
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
