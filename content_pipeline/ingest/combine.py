"""One ingest partition from the rows of every source: each row keeps a unique record id, repeats are marked."""

import polars as pl

from content_pipeline.schemas import INGEST_SCHEMA, frame
from content_pipeline.status import IngestStatus
from content_pipeline.urls import stable_id


def ingest_frame(*sources: list[dict[str, object]]) -> pl.DataFrame:
    """The rows of all sources, in order, as one ingest frame with duplicates marked."""
    rows = [row for source in sources for row in source]
    mark_duplicates(rows)
    return frame(rows, INGEST_SCHEMA)


def mark_duplicates(rows: list[dict[str, object]]) -> None:
    """Give every row a unique record id; later copies of a URL become `duplicate` rows pointing at the first."""
    first_by_url: dict[object, str] = {}
    for row in rows:
        if row["status"] == IngestStatus.OK.value:
            first = first_by_url.get(row["url"])
            if first is None:
                first_by_url[row["url"]] = str(row["record_id"])
                continue
            row["status"], row["duplicate_of"] = IngestStatus.DUPLICATE.value, first
            row["reason"] = f"same URL as record {first}"
        if row["record_id"] is None or row["status"] == IngestStatus.DUPLICATE.value:
            row["record_id"] = stable_id("row", str(row["source_file"]), str(row["source_row"]), str(row["input_url"]))
