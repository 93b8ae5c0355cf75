"""The joined, per-record result of all stages: what a user reads in the CSV and queries as `export`."""

import json
from collections.abc import Callable, Sequence

import polars as pl

from content_pipeline.classify.models import Kind
from content_pipeline.schemas import CATEGORIZE_SCHEMA, CLASSIFY_SCHEMA, FETCH_SCHEMA, INGEST_SCHEMA
from content_pipeline.stages import RECORD_STAGES, Stage
from content_pipeline.status import CategorizeStatus

INGEST_COLUMNS = [
    "record_id",
    "url",
    "path",
    "input_url",
    "source",
    "source_file",
    "source_row",
    "added_on",
    "duplicate_of",
]
# both stages have a `cache` column; beside each other each says which cache it means
FETCH_RENAMES = {"cache": "fetch_cache"}  # not_modified: a 304 reused the stored body; journal: kept from a crash
CATEGORIZE_RENAMES = {"cache": "ai_cache"}  # hit or miss of the AI cache
FETCH_COLUMNS = ["final_url", "http_status", "content_type", "bytes", "fetch_cache"]
# what the export reads of each stage's partition (None: all of it); never the fetched bodies
READ_COLUMNS: dict[str, list[str] | None] = {
    Stage.FETCH: ["record_id", "status", "reason", "final_url", "http_status", "content_type", "bytes", "cache"]
}
CLASSIFY_COLUMNS = [
    "kind", "processor", "title", "author", "published", "site_name", "language", "description",
    "word_count", "thumbnail", "text", "details",
]  # fmt: skip
CATEGORIZE_COLUMNS = [
    "category", "confidence", "tags", "summary", "entities", "entities_note", "provider", "model",
    "tokens_in", "tokens_out", "cost_usd", "ai_cache",
]  # fmt: skip
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    Stage.INGEST: INGEST_SCHEMA,
    Stage.FETCH: FETCH_SCHEMA,
    Stage.CLASSIFY: CLASSIFY_SCHEMA,
    Stage.CATEGORIZE: CATEGORIZE_SCHEMA,
}


def with_missing_columns(data: pl.DataFrame, stage: str) -> pl.DataFrame:
    """`data` with the stage's columns it lacks as typed nulls: partitions written before a column existed."""
    missing = {name: dtype for name, dtype in SCHEMAS[stage].items() if name not in data.columns}
    return data.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in missing.items())


def stage_columns(data: pl.DataFrame, stage: str, columns: list[str]) -> pl.DataFrame:
    return data.select(
        "record_id",
        *[c for c in columns if c != "record_id"],
        pl.col("status").alias(f"{stage}_status"),
        pl.col("reason").alias(f"{stage}_reason"),
    )


def build_records(
    ingest: pl.DataFrame, fetch: pl.DataFrame, classify: pl.DataFrame, categorize: pl.DataFrame
) -> pl.DataFrame:
    """One row per ingested record with every stage's outcome, an overall `status` and its `reason`."""
    ingest = with_missing_columns(ingest, Stage.INGEST)
    fetch = with_missing_columns(fetch, Stage.FETCH).rename(FETCH_RENAMES)
    classify = with_missing_columns(classify, Stage.CLASSIFY)
    categorize = with_missing_columns(categorize, Stage.CATEGORIZE).rename(CATEGORIZE_RENAMES)
    joined = (
        stage_columns(ingest, Stage.INGEST, [*INGEST_COLUMNS, "extra"])
        .join(stage_columns(fetch, Stage.FETCH, FETCH_COLUMNS), on="record_id", how="left")
        .join(stage_columns(classify, Stage.CLASSIFY, CLASSIFY_COLUMNS), on="record_id", how="left")
        .join(stage_columns(categorize, Stage.CATEGORIZE, CATEGORIZE_COLUMNS), on="record_id", how="left")
    )
    first_problem = first_stop(RECORD_STAGES, lambda stage: pl.lit(f"{stage}:") + pl.col(f"{stage}_status"))
    first_reason = first_stop(RECORD_STAGES, lambda stage: pl.col(f"{stage}_reason"))
    return joined.with_columns(status=first_problem.fill_null("ok"), reason=first_reason.fill_null("")).select(
        "record_id", "status", "reason", pl.exclude("record_id", "status", "reason")
    )


def first_stop(stages: Sequence[str], describe: Callable[[str], pl.Expr]) -> pl.Expr:
    """`describe(stage)` for the first of `stages` that stopped the record (see `stopped_at`); null when none did."""
    return pl.coalesce([pl.when(stopped_at(stage)).then(describe(stage)) for stage in stages])


def stopped_at(stage: str) -> pl.Expr:
    """Whether `stage` stopped the record. An image without text is not stopped by categorize: images are
    categorized by their visual category (classify) and filed by it, so a filed image is a success."""
    status = pl.col(f"{stage}_status")
    stopped = status.is_not_null() & (status != "ok")
    if stage == Stage.CATEGORIZE:
        stopped &= ~((status == CategorizeStatus.NO_TEXT.value) & (pl.col("kind") == Kind.IMAGE.value))
    return stopped


def extra_names(records: pl.DataFrame, column: str = "extra") -> list[str]:
    """The user's own input column names found in the `extra` JSON of `records`, in order of first appearance."""
    names: list[str] = []
    if column not in records.columns:
        return names
    for value in records[column].drop_nulls().unique(maintain_order=True).to_list():
        names.extend(name for name in json.loads(value) if name not in names)
    return names


def expand_extra(records: pl.DataFrame, names: Sequence[str] | None = None) -> pl.DataFrame:
    """The user's own input columns (kept as JSON) as real columns; a name that clashes gets an `input_` prefix.

    `names` fixes the columns (a day's, when records come a chunk at a time); by default those of `records`."""
    extras = [json.loads(value) if value else {} for value in records["extra"].to_list()]
    wanted = extra_names(records) if names is None else list(names)
    columns = {
        (f"input_{name}" if name in records.columns else name): [extra.get(name) for extra in extras] for name in wanted
    }
    return records.drop("extra").hstack(pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String())))
