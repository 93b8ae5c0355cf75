"""`content-pipeline`: run the demo, run a day's partition, backfill a range of days, or query the catalog with SQL.

This module stays free of heavy imports: classify's worker processes are spawned, and a spawned process imports the
program's main module, so whatever this module imports (Dagster, the Definitions: ~200 MB) would sit in every worker.
It also keeps the commands that do not run the graph fast: each command's module is imported only when it runs
(pipeline_defs/cli_parser.py). A user's mistake (pipeline_defs/user_errors.py) is one line on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""

import gc
import importlib
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from pipeline_defs import environment
    from pipeline_defs.cli_parser import HEAVY, parse
    from pipeline_defs.user_errors import USAGE_EXIT, UserError, one_line

    dotenv_files = environment.load_dotenv([Path.cwd(), environment.PROJECT_ROOT])
    args = parse(argv)
    args.dotenv_files = dotenv_files
    module, name = args.handler.split(":")
    try:
        if module == HEAVY:  # refuse bad settings or days before loading Dagster (~1 s): pipeline_defs/day_checks.py
            from pipeline_defs.day_checks import check_command

            check_command(args)
        code = int(getattr(importlib.import_module(module), name)(args))
    except UserError as exc:
        print(f"content-pipeline {name.replace('_', '-')}: {one_line(exc)}", file=sys.stderr)
        code = USAGE_EXIT
    # The program ends here. Without this, the interpreter's shutdown spends ~0.8 s in the garbage collector
    # walking Dagster's and the libraries' objects again (measured after a run: 291,000 objects, several passes);
    # frozen objects are left to the operating system. Every file and connection is closed by now.
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
