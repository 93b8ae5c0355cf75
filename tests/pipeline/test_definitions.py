import subprocess
import sys

import dagster as dg

from pipeline_defs.definitions import defs


def test_definitions_load_with_five_daily_partitioned_stages_in_lineage_order() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == {"ingest", "fetch", "classify", "categorize", "export"}
    parents = {k: {p.to_user_string() for p in graph.get(dg.AssetKey(k)).parent_keys} for k in keys}
    assert parents == {
        "ingest": set(),
        "fetch": {"ingest"},
        "classify": {"fetch"},
        "categorize": {"classify"},
        "export": {"categorize"},
    }
    assert all(graph.get(dg.AssetKey(k)).partitions_def is not None for k in keys)


def test_dagster_cli_validates_the_code_location() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipeline_defs.definitions"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
