"""Column schemas of every stage's partition, so empty or all-null partitions keep their types, and what each column
means, written once beside its type (the UI shows it in each materialization's column schema)."""

from typing import NamedTuple

import polars as pl

from content_pipeline.stages import RECORD_STAGES, Stage


class Column(NamedTuple):
    name: str
    dtype: pl.DataType
    description: str


def table(*columns: Column) -> tuple[dict[str, pl.DataType], dict[str, str]]:
    """The schema (name to type, in order) and the descriptions (name to text) of `columns`."""
    return {c.name: c.dtype for c in columns}, {c.name: c.description for c in columns}


STATUS = "what happened to the record in this stage: ok, or why not (see the README's statuses)"
REASON = "why the status is not ok, in words (empty when ok)"

INGEST_SCHEMA, INGEST_DESCRIPTIONS = table(
    Column("record_id", pl.String(), "stable id: a hash of the normalized URL or file path, or the source's own id"),
    Column("url", pl.String(), "the normalized URL (a file:// URI for a file from an image folder)"),
    Column("path", pl.String(), "absolute path of a file found in an image folder"),
    Column("input_url", pl.String(), "the URL as the input gave it, before normalizing"),
    Column("source", pl.String(), "where the item came from: csv, sheet, folder or drive"),
    Column("source_file", pl.String(), "the inbox file, worksheet or image folder it came from"),
    Column("source_row", pl.Int64(), "its row in that file or worksheet"),
    Column("added_on", pl.Date(), "the day (partition) the item arrived on"),
    Column("status", pl.String(), STATUS),
    Column("reason", pl.String(), REASON),
    Column("duplicate_of", pl.String(), "the record_id this row repeats (status duplicate)"),
    Column("extra", pl.String(), "JSON object of the input's other columns"),
)

FETCH_SCHEMA, FETCH_DESCRIPTIONS = table(
    Column("record_id", pl.String(), "the ingested record"),
    Column("url", pl.String(), "the URL asked for"),
    Column("final_url", pl.String(), "the URL after redirects"),
    Column("status", pl.String(), STATUS),
    Column("reason", pl.String(), REASON),
    Column("http_status", pl.Int64(), "HTTP status code of the last response"),
    Column("content_type", pl.String(), "effective content type: the header's, or sniffed from the bytes"),
    Column("declared_type", pl.String(), "what the Content-Type header said"),
    Column("charset", pl.String(), "the text body's charset: header, <meta>, then detection"),
    Column("charset_source", pl.String(), "where the charset came from"),
    Column("etag", pl.String(), "ETag header, for conditional requests"),
    Column("last_modified", pl.String(), "Last-Modified header, for conditional requests"),
    Column("body", pl.Binary(), "the response body (or the file's bytes)"),
    Column("bytes", pl.Int64(), "size of the body in bytes"),
    Column("elapsed_ms", pl.Float64(), "time the fetch took, in milliseconds"),
    Column("redirects", pl.Int64(), "redirects followed"),
    Column("attempts", pl.Int64(), "requests made, retries included"),
    Column("cache", pl.String(), "not_modified: a 304 reused the stored body; journal: kept from an unfinished run"),
    Column("fetched_at", pl.Datetime("us", "UTC"), "when it was fetched (UTC)"),
)

CLASSIFY_SCHEMA, CLASSIFY_DESCRIPTIONS = table(
    Column("record_id", pl.String(), "the ingested record"),
    Column("url", pl.String(), "the URL fetched"),
    Column("kind", pl.String(), "article, video, audio, social, image or other"),
    Column("processor", pl.String(), "the processor that handled the page"),
    Column("status", pl.String(), STATUS),
    Column("reason", pl.String(), REASON),
    Column("title", pl.String(), "extracted title"),
    Column("author", pl.String(), "extracted author"),
    Column("published", pl.String(), "published date, as the page gives it"),
    Column("site_name", pl.String(), "the site's name"),
    Column("language", pl.String(), "detected language code"),
    Column("description", pl.String(), "the page's description"),
    Column("text", pl.String(), "the main text"),
    Column("word_count", pl.Int64(), "words in the main text"),
    Column("thumbnail", pl.String(), "thumbnail URL"),
    Column("details", pl.String(), "JSON of processor facts: duration, oEmbed link, EXIF, perceptual hash..."),
)

CATEGORIZE_SCHEMA, CATEGORIZE_DESCRIPTIONS = table(
    Column("record_id", pl.String(), "the ingested record"),
    Column("status", pl.String(), STATUS),
    Column("reason", pl.String(), REASON),
    Column("category", pl.String(), "the taxonomy category"),
    Column("confidence", pl.Float64(), "the provider's confidence in the category, 0 to 1"),
    Column("tags", pl.List(pl.String()), "tags of the content"),
    Column("summary", pl.String(), "a 2-3 sentence summary"),
    Column("entities", pl.String(), "JSON list of {name, type, prominence}, null when the provider gives none"),
    Column("entities_note", pl.String(), "why there are no entities"),
    Column("provider", pl.String(), "the provider that answered: local or gemini"),
    Column("model", pl.String(), "the model that answered"),
    Column("tokens_in", pl.Int64(), "prompt tokens"),
    Column("tokens_out", pl.Int64(), "answer tokens"),
    Column("cost_usd", pl.Float64(), "estimated cost of the answer in US dollars"),
    Column("cache", pl.String(), "hit: answered from the AI cache; miss: asked the provider in this run"),
)

# one row per image of the day (from a folder, or classified so)
FILED_IMAGES_SCHEMA, FILED_IMAGES_DESCRIPTIONS = table(
    Column("record_id", pl.String(), "the ingested record"),
    Column("status", pl.String(), "where the image is now: filed, failed (under failures/), error, skipped"),
    Column("reason", pl.String(), "why it was not filed, in words"),
    Column("path", pl.String(), "where it was filed, relative to the images folder, POSIX separators"),
)

EXPORT_OWN_DESCRIPTIONS = {  # export's columns that no stage has under the same name; the others mean what they did
    "status": "ok, or <stage>:<status> of the first stage that stopped the record",
    "reason": "the reason given by the stage that stopped the record",
    "fetch_cache": "fetch's cache column: not_modified when a 304 reused the stored body",
    "ai_cache": "categorize's cache column: hit or miss of the AI cache",
    "filed_status": "filed_images' status of an image",
    "filed_path": "where the image was filed, relative to the images folder",
    "filed_reason": "why the image was not filed",
    **{f"{stage}_status": f"the record's status in {stage}" for stage in RECORD_STAGES},
    **{f"{stage}_reason": f"the reason {stage} gave" for stage in RECORD_STAGES},
}

STAGE_DESCRIPTIONS: dict[str, dict[str, str]] = {
    Stage.INGEST: INGEST_DESCRIPTIONS,
    Stage.FETCH: FETCH_DESCRIPTIONS,
    Stage.CLASSIFY: CLASSIFY_DESCRIPTIONS,
    Stage.CATEGORIZE: CATEGORIZE_DESCRIPTIONS,
    Stage.FILED_IMAGES: FILED_IMAGES_DESCRIPTIONS,
}


def column_descriptions(stage: str) -> dict[str, str]:
    """What each column of `stage`'s partition means ({} for a stage without a partition of its own). Export's joined
    columns keep the description of the stage they come from (the earliest one for a name several stages have)."""
    if stage != Stage.EXPORT:
        return dict(STAGE_DESCRIPTIONS.get(stage, {}))
    joined: dict[str, str] = {}
    for record_stage in RECORD_STAGES:
        for name, text in STAGE_DESCRIPTIONS[record_stage].items():
            joined.setdefault(name, text)
    return joined | EXPORT_OWN_DESCRIPTIONS


def frame(rows: list[dict[str, object]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly `schema`'s columns, in order, from row dicts (missing keys become null)."""
    return pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=schema, orient="row")
