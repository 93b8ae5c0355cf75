"""The short report the command line prints after a run: counts per status, kind and category, and paths."""

from collections.abc import Iterable, Mapping

import polars as pl

from assets.metadata import counts
from content_pipeline.stages import RECORD_STAGES
from pipeline_defs.settings import Settings


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
    lines.append(f"  warehouse {settings.warehouse}")
    lines.append(f"  catalog   {settings.catalog}")
    lines.append('query it:  uv run content-pipeline sql "select category, count(*) from categorize group by 1"')
    return "\n".join(lines)
