import subprocess
import sys

import dagster as dg

from pipeline_defs.definitions import defs


def test_definitions_load_with_the_stages_and_their_side_effects_as_daily_partitioned_assets_in_lineage() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    parents = {k: {p.to_user_string() for p in graph.get(dg.AssetKey(k)).parent_keys} for k in keys}
    assert parents == {
        "ingest": set(),
        "fetch": {"ingest"},
        "classify": {"fetch"},
        "categorize": {"classify"},
        "filed_images": {"ingest", "fetch", "classify"},
        "export": {"ingest", "fetch", "classify", "categorize", "filed_images"},
        "export_files": {"export"},
        "sheet_results": {"export"},
    }
    assert all(graph.get(dg.AssetKey(k)).partitions_def is not None for k in keys)


def test_each_side_effect_has_its_own_retry_policy_pool_and_checks() -> None:
    def policy(name: str) -> dg.RetryPolicy | None:
        return defs.resolve_assets_def(dg.AssetKey(name)).op.retry_policy

    def pool(name: str) -> str | None:
        return defs.resolve_assets_def(dg.AssetKey(name)).op.pool

    def checks(name: str) -> set[str]:
        return {spec.name for spec in defs.resolve_assets_def(dg.AssetKey(name)).check_specs}

    sheets = policy("sheet_results")
    assert sheets is not None and sheets.max_retries >= 2 and (sheets.delay or 0) >= 30
    assert sheets.backoff == dg.Backoff.EXPONENTIAL and sheets.jitter is not None
    assert pool("sheet_results") == "google_sheets" and checks("sheet_results") == {"every_record_written"}
    for name in ("filed_images", "export", "export_files"):
        disk = policy(name)
        assert disk is not None and disk.backoff == dg.Backoff.EXPONENTIAL and disk.jitter is not None, name
        assert pool(name) is None, name  # disk work holds no quota of an outside service
    assert "every_image_filed" in checks("filed_images") and checks("export_files") == {"files_hold_every_row"}
    kinds = {
        name: defs.resolve_assets_def(dg.AssetKey(name)).specs_by_key[dg.AssetKey(name)].kinds
        for name in ("export", "export_files", "sheet_results")
    }
    assert "googlesheets" not in kinds["export"] and "csv" not in kinds["export"]
    assert {"csv", "parquet", "html"} <= kinds["export_files"] and "googlesheets" in kinds["sheet_results"]


def test_dagster_cli_validates_the_code_location() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipeline_defs.definitions"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
