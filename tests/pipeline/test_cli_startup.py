"""The commands that do not run the graph start without Dagster and the Definitions, and the resources' fields that
`config` reads without Dagster are the very fields of the resources."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline_defs.setting_values import FIELD_CLASSES, resource_name
from pipeline_defs.settings import RESOURCE_CLASSES

HEAVY = ("dagster", "pipeline_defs.definitions", "polars", "httpx")


REFUSED_BEFORE_THE_GRAPH = [
    ["run", "--date", "2026-13-01"],
    ["run", "--date", "2001-01-01"],  # before the first partition
    ["backfill", "--from", "2001-01-01", "--to", "2001-01-02"],
    ["demo", "--date", "2999-01-01"],  # after today
]


@pytest.mark.parametrize("args", [["--help"], ["config"], ["sql", "select 1"], *REFUSED_BEFORE_THE_GRAPH])
def test_a_light_command_imports_neither_dagster_nor_the_graph(tmp_path: Path, args: list[str]) -> None:
    """Also a run, backfill or demo refused for its days: the refusal comes before the graph is loaded (~0.1 s)."""
    assert heavy_modules_after(args, {"CONTENT_PIPELINE_HOME": str(tmp_path)}) == "[]"


def test_a_run_with_a_refused_setting_ends_before_the_graph_is_loaded(tmp_path: Path) -> None:
    env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "CONTENT_PIPELINE_FETCH_CONCURRENCY": "x"}
    assert heavy_modules_after(["run"], env) == "[]"


def heavy_modules_after(args: list[str], env: dict[str, str]) -> str:
    """The heavy modules a fresh interpreter holds after `content-pipeline <args>` ended (printed as a list)."""
    probe = (
        "import sys\nfrom pipeline_defs.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120, env=env
    )
    assert out.stdout.strip(), out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_every_resource_inherits_the_fields_config_reads() -> None:
    assert list(FIELD_CLASSES) == list(RESOURCE_CLASSES)
    for key, resource_class in RESOURCE_CLASSES.items():
        assert issubclass(resource_class, FIELD_CLASSES[key]) and resource_name(key) == resource_class.__name__
        assert resource_class.model_fields.keys() == FIELD_CLASSES[key].model_fields.keys()
