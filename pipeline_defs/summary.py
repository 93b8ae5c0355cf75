"""The short report the command line prints after a run: counts per status, kind and category, the paths, and how
to see the day in the Dagster UI."""

import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from assets.metadata import counts
from content_pipeline.stages import RECORD_STAGES
from pipeline_defs import environment
from pipeline_defs.settings import PROJECT_ROOT, Settings

UI_START = "uv run dg dev"  # how the README's "The Dagster UI" starts the UI, after DAGSTER_HOME=...
UI_ADDRESS = "http://127.0.0.1:3000"


def count_lines(title: str, data: pl.DataFrame, column: str) -> list[str]:
    cells = [f"{value}: {n}" for value, n in counts(data, column).items()]
    return [f"  {title:<22} " + ", ".join(cells)]


# what `summarize` reads of the export partition (never the main texts: a day of 100,000 holds ~0.5 GB of them)
SUMMARY_COLUMNS = [
    "status",
    *(f"{stage}_status" for stage in RECORD_STAGES),
    "kind",
    "category",
    "filed_status",
    "filed_path",
]


def summarize(
    records: pl.DataFrame, settings: Settings, day: str, written: Iterable[str], fetched: Mapping[str, float]
) -> str:
    """A few lines a person reads after the demo: what happened to the records and where the results are."""
    lines = [f"content-pipeline: partition {day}, {len(records)} records"]
    lines += count_lines("overall status", records, "status")
    for stage in RECORD_STAGES:
        lines += count_lines(f"{stage} status", records, f"{stage}_status")
    lines.append(
        f"  {'fetch figures':<22} {fetched['requests']} requests, {fetched['retries']} retries, "
        f"{fetched['not_modified_304']} unchanged (304), {fetched['reused_from_journal']} kept from an unfinished run, "
        f"latency p50 {fetched['latency_p50_ms']:g} ms / p95 {fetched['latency_p95_ms']:g} ms"
    )
    lines += count_lines("kind", records.filter(pl.col("kind").is_not_null()), "kind")
    lines += count_lines("category", records.filter(pl.col("category").is_not_null()), "category")
    if "filed_status" in records.columns and records["filed_status"].is_not_null().any():
        lines += count_lines("images filed", records.drop_nulls("filed_status"), "filed_status")
    lines.append("written:")
    lines += [f"  {path}" for path in written]
    if "filed_path" in records.columns and records["filed_path"].is_not_null().any():
        lines.append(f"  images    {settings.images_root}")
    lines.append(f"  warehouse {settings.warehouse_root}")
    lines.append(f"  catalog   {settings.catalog}")
    lines.append('query it:  uv run content-pipeline sql "select category, count(*) from categorize group by 1"')
    lines += ui_lines(day, environment.dagster_home(), Path.cwd())
    return "\n".join(lines)


def ui_command(dagster_home: Path | None, cwd: Path) -> str:
    """The command that starts the UI on the instance the run was recorded in (the project's, without DAGSTER_HOME)."""
    home = '"$PWD"' if dagster_home is None else shlex.quote(str(dagster_home))
    command = f"DAGSTER_HOME={home} {UI_START}"
    here = cwd.resolve() == PROJECT_ROOT.resolve()
    return command if here else f"cd {shlex.quote(str(PROJECT_ROOT))} && {command}"


def ui_lines(day: str, dagster_home: Path | None, cwd: Path) -> list[str]:
    """Where the run shows in the Dagster UI, and which of its metadata says what the report says."""
    return [
        "see it in the Dagster UI:",
        f"  start it  {ui_command(dagster_home, cwd)}",
        f"  open      {UI_ADDRESS}, Assets, export, Partitions, {day}: its latest materialization shows",
        "            status_counts, failures and overview (records per category, failures with example URLs);",
        "            every stage's asset shows its own status_counts and failures, and ok_share, failure_rate,",
        "            rows_per_s and cost_usd are plotted across days (the asset's Overview, Metadata, Plots)",
    ]
