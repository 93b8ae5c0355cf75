"""`content-pipeline`: run the demo, run a day's partition, backfill a range of days, or query the catalog with SQL.

This module stays free of heavy imports: classify's worker processes are spawned, and a spawned process imports the
program's main module, so whatever this module imports (Dagster, the Definitions: ~200 MB) would sit in every worker.
"""

import sys


def main(argv: list[str] | None = None) -> int:
    from pipeline_defs.commands import main as run_command

    return run_command(argv)


if __name__ == "__main__":
    sys.exit(main())
