"""The classify stage over one partition: dispatch every fetched page to its processor, keep every record."""

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from content_pipeline.classify.dispatcher import classify_pages
from content_pipeline.classify.models import FetchedPage, PagePool
from content_pipeline.classify.oembed import OembedClient, OembedTarget
from content_pipeline.schemas import CLASSIFY_SCHEMA, frame
from content_pipeline.status import ClassifyStatus, FetchStatus

if TYPE_CHECKING:  # google-genai is imported only when a key is set (see apply_vision below)
    from content_pipeline.classify.vision import GeminiVision

# what classify reads of fetch
FETCH_COLUMNS = ("record_id", "url", "final_url", "status", "reason", "content_type", "charset", "body")
CLASSIFY_CHUNK_ROWS = 250  # fetched rows per chunk: at 30-80 KiB a page, ~15 MB of bodies


def classify_partition(
    fetched: pl.DataFrame,
    rules_path: Path | None = None,
    workers: int = 1,
    oembed: OembedClient | None = None,
    vision: "GeminiVision | None" = None,
    pool: PagePool | None = None,
) -> pl.DataFrame:
    """One classify row per fetched row; rows that were not fetched are `skipped` with the fetch reason.

    With an `oembed` client, video, audio and social records are completed from their oEmbed (see oembed.py);
    with `vision`, images get Gemini's visual category (see vision.py). With a `pool` (kept open over a run's
    chunks: local processes or a Dask cluster), pages are classified by its workers and `rules_path`/`workers` are
    ignored.
    """
    meta = fetched.select(*(c for c in FETCH_COLUMNS if c != "body")).to_dicts()
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
    results = pool.classify(pages) if pool is not None else classify_pages(pages, rules_path, workers)
    extracted = dict(zip(ok_index, results, strict=True))
    if oembed is not None:
        oembed.enrich([OembedTarget(p.url, p.final_url, extracted[i]) for i, p in zip(ok_index, pages, strict=True)])
    if vision is not None:
        from content_pipeline.classify.vision import apply_vision  # google-genai: imported only with a key

        apply_vision([extracted[i] for i in ok_index], [p.body for p in pages], vision)
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


# oEmbed outcomes a rerun may well turn into answers: a classify partition holding one is done again by the next run
TRANSIENT_OEMBED = frozenset({FetchStatus.TIMEOUT, FetchStatus.CONNECTION_ERROR, FetchStatus.HTTP_ERROR, "error"})


def may_keep_classified(classified: pl.DataFrame) -> bool:
    """Whether a later run over the same fetched rows may keep this partition as it is: nothing in it failed in a
    way a rerun could fix (an extraction error, an oEmbed lookup that timed out or got a server error)."""
    if (classified["status"] == ClassifyStatus.ERROR.value).any():
        return False
    return not TRANSIENT_OEMBED & set(oembed_status_counts(classified))


def oembed_status_counts(classified: pl.DataFrame) -> dict[str, int]:
    """Records per oEmbed outcome (ok, http_error, blocked, invalid_json...), most frequent first."""
    counts: Counter[str] = Counter()
    for details in classified["details"].drop_nulls():
        outcome = json.loads(details).get("oembed")
        if isinstance(outcome, dict):
            counts[str(outcome.get("status"))] += 1
    return dict(counts.most_common())


def vision_totals(classified: pl.DataFrame) -> dict[str, float | int]:
    """Gemini Vision's figures for a partition: pictures answered, cache hits, tokens and estimated cost."""
    answered = hits = tokens_in = tokens_out = 0
    cost = 0.0
    for details in classified["details"].drop_nulls():
        seen = json.loads(details)
        if "visual_cache" not in seen:
            continue
        answered += 1
        hits += seen["visual_cache"] == "hit"
        tokens_in += int(seen.get("visual_tokens_in") or 0)
        tokens_out += int(seen.get("visual_tokens_out") or 0)
        cost += float(seen.get("visual_cost_usd") or 0.0)
    return {
        "vision_answers": answered,
        "vision_cache_hits": hits,
        "vision_tokens_in": tokens_in,
        "vision_tokens_out": tokens_out,
        "vision_cost_usd": round(cost, 6),
    }
