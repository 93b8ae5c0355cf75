"""The summary `demo` and `run` print: the day's files, the report among them, and how to see the day in the UI."""

import shlex
from pathlib import Path

import polars as pl
import pytest

from content_pipeline.stages import RECORD_STAGES
from pipeline_defs.settings import PROJECT_ROOT, Settings
from pipeline_defs.summary import summarize, ui_command

DAY = "2026-11-24"
FETCHED: dict[str, float] = {"requests": 2, "retries": 0, "not_modified_304": 0, "reused_from_journal": 0}
FETCHED |= {"latency_p50_ms": 1.0, "latency_p95_ms": 2.0}


def records() -> pl.DataFrame:
    columns = {"status": ["ok", "fetch:timeout"], "kind": ["article", None], "category": ["Sports", None]}
    columns |= {f"{stage}_status": ["ok", "ok"] for stage in RECORD_STAGES}
    return pl.DataFrame(columns)


def test_the_summary_lists_the_report_and_says_how_to_open_the_ui_and_where_to_look(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.chdir(PROJECT_ROOT)
    written = [str(settings.output / DAY / name) for name in ("records.csv", "records.parquet", "report.html")]
    text = summarize(records(), settings, DAY, written, FETCHED)
    assert f"  {settings.output / DAY / 'report.html'}" in text.splitlines()
    assert 'start it  DAGSTER_HOME="$PWD" uv run dg dev' in text
    assert f"http://127.0.0.1:3000, Assets, export, Partitions, {DAY}" in text
    for entry in ("status_counts", "failures", "overview"):
        assert entry in text


def test_the_ui_command_goes_to_the_project_folder_and_names_the_instance_the_run_used(tmp_path: Path) -> None:
    assert ui_command(None, PROJECT_ROOT) == 'DAGSTER_HOME="$PWD" uv run dg dev'
    assert ui_command(None, tmp_path) == f'cd {shlex.quote(str(PROJECT_ROOT))} && DAGSTER_HOME="$PWD" uv run dg dev'
    home = tmp_path / "my dagster"
    assert ui_command(home, PROJECT_ROOT) == f"DAGSTER_HOME='{home}' uv run dg dev"
