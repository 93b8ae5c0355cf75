"""The fetch stage over one partition: fetch the ingested rows that are fetchable, keep every record."""

from dataclasses import asdict

import polars as pl

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.schemas import FETCH_SCHEMA, frame
from content_pipeline.status import FetchStatus, IngestStatus


def fetch_partition(ingested: pl.DataFrame, fetcher: HttpFetcher) -> pl.DataFrame:
    """One fetch row per ingested row: fetched when its ingest status is ok, `skipped` with the reason otherwise."""
    rows = ingested.select("record_id", "url", "status", "reason").to_dicts()
    requests = [FetchRequest(r["record_id"], r["url"]) for r in rows if r["status"] == IngestStatus.OK]
    fetched = {res.record_id: res for res in fetcher.fetch_all(requests)}
    out: list[dict[str, object]] = []
    for row in rows:
        result = fetched.get(row["record_id"])
        if result is None:
            reason = f"ingest status {row['status']}" + (f": {row['reason']}" if row["reason"] else "")
            result = FetchResult(row["record_id"], row["url"] or "", FetchStatus.SKIPPED, reason)
        record = asdict(result)
        record["status"] = result.status.value
        out.append(record)
    return frame(out, FETCH_SCHEMA)
