"""Column schemas of every stage's partition, so empty or all-null partitions keep their types."""

import polars as pl

INGEST_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "url": pl.String(),
    "path": pl.String(),  # absolute path of a file found in an image folder (its url is the file:// URI)
    "input_url": pl.String(),
    "source": pl.String(),
    "source_file": pl.String(),
    "source_row": pl.Int64(),
    "added_on": pl.Date(),
    "status": pl.String(),
    "reason": pl.String(),
    "duplicate_of": pl.String(),
    "extra": pl.String(),  # JSON object of the user's other columns
}

FETCH_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "url": pl.String(),
    "final_url": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "http_status": pl.Int64(),
    "content_type": pl.String(),  # effective: the header's, or sniffed from the bytes when missing or wrong
    "declared_type": pl.String(),  # what the Content-Type header said
    "charset": pl.String(),  # resolved for text bodies: header, <meta>, then detection
    "charset_source": pl.String(),
    "etag": pl.String(),
    "last_modified": pl.String(),
    "body": pl.Binary(),
    "bytes": pl.Int64(),
    "elapsed_ms": pl.Float64(),
    "redirects": pl.Int64(),
    "attempts": pl.Int64(),
    "cache": pl.String(),  # not_modified (a 304 reused the stored body), journal (kept from an unfinished run)
    "fetched_at": pl.Datetime("us", "UTC"),
}

CLASSIFY_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "url": pl.String(),
    "kind": pl.String(),
    "processor": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "title": pl.String(),
    "author": pl.String(),
    "published": pl.String(),
    "site_name": pl.String(),
    "language": pl.String(),
    "description": pl.String(),
    "text": pl.String(),
    "word_count": pl.Int64(),
    "thumbnail": pl.String(),
    "details": pl.String(),  # JSON object of processor-specific facts
}

CATEGORIZE_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "category": pl.String(),
    "confidence": pl.Float64(),
    "tags": pl.List(pl.String()),
    "summary": pl.String(),
    "entities": pl.String(),  # JSON list of {name, type, prominence}, null when the provider gives none
    "entities_note": pl.String(),
    "provider": pl.String(),
    "model": pl.String(),
    "tokens_in": pl.Int64(),
    "tokens_out": pl.Int64(),
    "cost_usd": pl.Float64(),
    "cache": pl.String(),  # hit: answered from the AI cache; miss: asked the provider in this run
}


FILED_IMAGES_SCHEMA: dict[str, pl.DataType] = {  # one row per image of the day (from a folder, or classified so)
    "record_id": pl.String(),
    "status": pl.String(),  # where the image is now: filed, failed (under failures/), error, skipped
    "reason": pl.String(),
    "path": pl.String(),  # relative to the images folder, POSIX separators
}


def frame(rows: list[dict[str, object]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A frame with exactly `schema`'s columns, in order, from row dicts (missing keys become null)."""
    return pl.DataFrame([{name: row.get(name) for name in schema} for row in rows], schema=schema, orient="row")
