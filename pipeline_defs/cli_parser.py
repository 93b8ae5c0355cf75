"""The arguments of `content-pipeline`, parsed and checked without importing Dagster or the graph.

Each command names its handler as "module:function", imported only when that command runs: `--help`, `sql`,
`config` and `sample-site` never load the Definitions. A malformed argument is one line on stderr and exit code 2.
"""

import argparse
from datetime import UTC, date, datetime
from typing import NoReturn

DESCRIPTION = "Run the demo, run a day's partition, backfill a range of days, query the catalog with SQL, or show the \
effective settings."
DEMO_PORT = 8765
HEAVY = "pipeline_defs.commands"  # the commands that run the graph (Dagster, the Definitions)
LIGHT = "pipeline_defs.light_commands"  # the commands that do not


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def day(text: str) -> str:
    """A `YYYY-MM-DD` argument, checked to be a real day."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError as exc:
        reason = "" if str(exc).startswith("Invalid isoformat") else f" ({exc})"
        raise argparse.ArgumentTypeError(f"{text!r} is not a day written YYYY-MM-DD{reason}") from None


def port(text: str) -> int:
    """A TCP port (0: any free port)."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: expected a whole number from 0 to 65535")
    return number


def days_per_run(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1")
    return number


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, and where to read the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="content-pipeline", description=DESCRIPTION)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="run the whole pipeline on the bundled sample site")
    demo.add_argument("--date", type=day, default=today(), help="partition day, YYYY-MM-DD (default: today, UTC)")
    demo.add_argument("--port", type=port, default=DEMO_PORT, help="sample site port (0: any free port)")
    demo.set_defaults(handler=f"{HEAVY}:demo")
    run = commands.add_parser("run", help="run the pipeline for one day of the inbox")
    run.add_argument("--date", type=day, default=today(), help="partition day, YYYY-MM-DD (default: today, UTC)")
    run.add_argument(
        "--from-start",
        action="store_true",
        help="run every stage, even when the day's last run died midway (by default it goes on where it stopped)",
    )
    run.set_defaults(handler=f"{HEAVY}:run")
    backfill = commands.add_parser("backfill", help="run the pipeline for every day of a range of days")
    backfill.add_argument("--from", dest="start", type=day, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--to", dest="end", type=day, required=True, help="last day, YYYY-MM-DD (included)")
    backfill.add_argument(
        "--days-per-run", type=days_per_run, default=None, help="days per run (default: the stages' backfill policy)"
    )
    backfill.set_defaults(handler=f"{HEAVY}:backfill")
    site = commands.add_parser("sample-site", help="serve the bundled sample site on 127.0.0.1 until Ctrl-C")
    site.add_argument("--port", type=port, default=DEMO_PORT, help="port (0: any free port)")
    site.set_defaults(handler=f"{LIGHT}:sample_site")
    sql = commands.add_parser("sql", help="query the catalog: one view per stage over all partitions")
    sql.add_argument("query", help='one SQL statement, e.g. "select status, count(*) from export group by 1"')
    sql.set_defaults(handler=f"{LIGHT}:sql")
    config = commands.add_parser(
        "config", help="show every setting's value and where it came from (secrets only as set or unset)"
    )
    config.set_defaults(handler=f"{LIGHT}:config")
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The parsed arguments; a mistake ends the program with one line and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "start", None) and args.start > args.end:
        parser.exit(2, f"content-pipeline backfill: --from {args.start} comes after --to {args.end}: swap them\n")
    return args
