"""The classify stage over one partition: dispatch every fetched page to its processor, keep every record."""

import json
from dataclasses import asdict
from pathlib import Path

import polars as pl

from content_pipeline.classify.dispatcher import classify_pages
from content_pipeline.classify.models import FetchedPage
from content_pipeline.schemas import CLASSIFY_SCHEMA, frame
from content_pipeline.status import ClassifyStatus, FetchStatus


def classify_partition(fetched: pl.DataFrame, rules_path: Path | None = None, workers: int = 1) -> pl.DataFrame:
    """One classify row per fetched row; rows that were not fetched are `skipped` with the fetch reason."""
    meta = fetched.select("record_id", "url", "final_url", "status", "reason", "content_type", "charset").to_dicts()
    ok_index = [i for i, r in enumerate(meta) if r["status"] == FetchStatus.OK]
    bodies = fetched["body"].gather(ok_index).to_list() if ok_index else []
    pages = [
        FetchedPage(
            url=meta[i]["url"],
            final_url=meta[i]["final_url"] or meta[i]["url"],
            content_type=meta[i]["content_type"] or "",
            body=body or b"",
            charset=meta[i]["charset"],
        )
        for i, body in zip(ok_index, bodies, strict=True)
    ]
    extracted = dict(zip(ok_index, classify_pages(pages, rules_path, workers), strict=True))
    out: list[dict[str, object]] = []
    for i, row in enumerate(meta):
        base = {"record_id": row["record_id"], "url": row["url"]}
        extraction = extracted.get(i)
        if extraction is None:
            reason = f"fetch status {row['status']}" + (f": {row['reason']}" if row["reason"] else "")
            out.append(base | {"status": ClassifyStatus.SKIPPED.value, "reason": reason, "word_count": 0})
            continue
        record = asdict(extraction)
        record["kind"] = extraction.kind.value
        record["details"] = json.dumps(extraction.details, ensure_ascii=False, default=str)
        out.append(base | record)
    return frame(out, CLASSIFY_SCHEMA)
