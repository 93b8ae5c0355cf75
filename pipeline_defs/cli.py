"""`content-pipeline`: run the demo, run a day's partition, backfill a range of days, or query the catalog with SQL.

This module stays free of heavy imports: classify's worker processes are spawned, and a spawned process imports the
program's main module, so whatever this module imports (Dagster, the Definitions: ~200 MB) would sit in every worker.
"""

import gc
import sys


def main(argv: list[str] | None = None) -> int:
    from pipeline_defs.commands import main as run_command

    code = run_command(argv)
    # The program ends here. Without this, the interpreter's shutdown spends ~0.8 s in the garbage collector
    # walking Dagster's and the libraries' objects again (measured after a run: 291,000 objects, several passes);
    # frozen objects are left to the operating system. Every file and connection is closed by now.
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
