"""The project as a `dg` project: the commands the README names load the code location, list it and launch a day."""

import json
import subprocess
import tomllib
from pathlib import Path

import dagster as dg
import pytest
import yaml

from content_pipeline.sample_site.server import serve_sample_site
from pipeline_defs.cli_parser import today
from pipeline_defs.commands import write_demo_inbox
from pipeline_defs.settings import PROJECT_ROOT, Settings
from tests.ui.dagster_dev import HOST, LOCATION, dg_command, server_env, write_instance_yaml

EIGHT_ASSETS = {
    "ingest",
    "fetch",
    "classify",
    "categorize",
    "filed_images",
    "export",
    "export_files",
    "sheet_results",
}
DG_TIMEOUT_S = 300


def run_dg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`dg ARGS` in the project folder, as a user types it there; fails the test with dg's output when dg fails."""
    done = subprocess.run(
        dg_command(*args), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=DG_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"dg {' '.join(args)} exited with {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Own DAGSTER_HOME (the project's dagster.yaml, its storage moved there) and pipeline home, as the UI tests use."""
    dagster_home = tmp_path / "dagster"
    write_instance_yaml(PROJECT_ROOT / "dagster.yaml", dagster_home)
    return server_env(dagster_home, tmp_path / "home")


def test_dg_check_defs_and_list_defs_show_the_eight_assets_and_the_job(env: dict[str, str]) -> None:
    checked = run_dg(env, "check", "defs")
    said = checked.stdout + checked.stderr
    assert "All definitions loaded successfully" in said
    assert "SupersessionWarning" not in said  # what `dagster definitions validate` prints, pointing at dg

    listed = json.loads(run_dg(env, "list", "defs", "--json").stdout)
    assert {asset["asset_key"] for asset in listed["assets"]} == EIGHT_ASSETS
    assert {job["name"] for job in listed["jobs"]} >= {"pipeline_job"}


def test_dg_launch_materializes_a_day_of_the_sample_site(env: dict[str, str]) -> None:
    settings = Settings.from_env(env)
    day = today()
    with serve_sample_site(HOST, 0) as base_url:
        write_demo_inbox(settings.inbox, day, base_url)
        run_dg(env, "launch", "--assets", "*", "--partition", day)

    assert (settings.warehouse / "export" / f"date={day}" / "part.parquet").is_file()
    assert (settings.output / day / "report.html").is_file()
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        for asset in EIGHT_ASSETS:
            event = instance.get_latest_materialization_event(dg.AssetKey(asset))
            assert event is not None, f"{asset} was not materialized"
            assert event.dagster_event is not None and event.dagster_event.partition == day


def test_workspace_yaml_loads_the_code_location_dg_defines() -> None:
    """The production webserver and daemon (`-w workspace.yaml`) load what `dg` loads, under the same name."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["dg"]["project"]
    dg_module = project.get("code_location_target_module", f"{project['root_module']}.definitions")
    workspace = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text(encoding="utf-8"))
    [entry] = workspace["load_from"]
    assert entry["python_module"]["module_name"] == dg_module
    assert entry["python_module"]["location_name"] == project["code_location_name"] == LOCATION
