"""Loading pipeline_defs makes polars' jemalloc hand freed pages back at once, unless the user configured it."""

import os
import subprocess
import sys

from pipeline_defs.environment import POLARS_ALLOCATOR, POLARS_ALLOCATOR_CONF

PROBE = (
    "import os, sys, pipeline_defs; "
    "assert 'polars' not in sys.modules, 'polars was loaded before its allocator was tuned'; "
    f"import polars; print(os.environ.get({POLARS_ALLOCATOR!r}, ''))"
)


def run_probe(extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != POLARS_ALLOCATOR} | extra
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]  # the last line: importing may print notices before it


# polars puts its own defaults in front of the variable when it loads; in jemalloc's options a later one wins


def test_the_allocator_is_tuned_before_polars_loads() -> None:
    assert run_probe({}).endswith(POLARS_ALLOCATOR_CONF)


def test_a_users_own_allocator_setting_is_kept() -> None:
    conf = run_probe({POLARS_ALLOCATOR: "dirty_decay_ms:1000"})
    assert conf.endswith("dirty_decay_ms:1000") and POLARS_ALLOCATOR_CONF not in conf
