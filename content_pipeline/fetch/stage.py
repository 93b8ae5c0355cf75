"""The fetch stage over one partition: fetch the ingested rows that are fetchable, keep every record."""

from collections.abc import Sequence
from dataclasses import asdict
from fnmatch import fnmatch
from pathlib import Path

import polars as pl

from content_pipeline.fetch.content_facts import describe_content
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.local_files import LocalFileRequest, read_local_files
from content_pipeline.fetch.models import FetchRequest, FetchResult
from content_pipeline.moved_images import MovedImages
from content_pipeline.schemas import FETCH_SCHEMA, frame
from content_pipeline.status import FetchStatus, IngestStatus


def fetch_partition(
    ingested: pl.DataFrame,
    fetcher: HttpFetcher,
    partition: str | None = None,
    ignore_robots_for: Sequence[str] = (),
    image_roots: Sequence[Path] = (),
    moved: MovedImages | None = None,
) -> pl.DataFrame:
    """One fetch row per ingested row: fetched when its ingest status is ok, `skipped` with the reason otherwise.

    `partition` names the journal that lets a rerun of a crashed run keep what it finished; `ignore_robots_for`
    holds file-name patterns of sources whose URLs are fetched without consulting robots.txt. Files from image
    folders are read from disk, and only from inside `image_roots` (images that move mode moved: where it put them).
    """
    if "path" not in ingested.columns:  # partitions ingested before image folders existed
        ingested = ingested.with_columns(path=pl.lit(None, pl.String()))
    rows = ingested.select("record_id", "url", "path", "status", "reason", "source_file").to_dicts()
    wanted = [r for r in rows if r["status"] == IngestStatus.OK]
    requests = [
        FetchRequest(r["record_id"], r["url"], respect_robots=not exempt(r["source_file"], ignore_robots_for))
        for r in wanted
        if not r["path"]
    ]
    files = [LocalFileRequest(r["record_id"], r["path"]) for r in wanted if r["path"]]
    fetched = {res.record_id: res for res in fetcher.fetch_all(requests, partition)}
    if files:
        max_bytes = fetcher.settings.max_body_bytes
        fetched |= {res.record_id: res for res in read_local_files(files, image_roots, max_bytes, moved)}
    out: list[dict[str, object]] = []
    for row in rows:
        result = fetched.get(row["record_id"])
        if result is None:
            reason = f"ingest status {row['status']}" + (f": {row['reason']}" if row["reason"] else "")
            result = FetchResult(row["record_id"], row["url"] or "", FetchStatus.SKIPPED, reason)
        describe_content(result)
        record = asdict(result)
        record["status"] = result.status.value
        out.append(record)
    return frame(out, FETCH_SCHEMA)


def exempt(source_file: str | None, patterns: Sequence[str]) -> bool:
    return source_file is not None and any(fnmatch(source_file, pattern) for pattern in patterns)
