"""Figures a person checks after a fetch: bytes, latency percentiles, retries, cache and 304 hits."""

import polars as pl

from content_pipeline.warehouse.chunked_stage import FETCH_STATS

STATS_COLUMNS = list(FETCH_STATS)  # all that fetch_stats reads (never the bodies); the day's slim copy holds them
FIGURES = (  # the keys of fetch_stats
    "bytes", "requests", "retries", "latency_p50_ms", "latency_p95_ms", "not_modified_304", "reused_from_journal",
)  # fmt: skip


def fetch_stats(fetched: pl.DataFrame) -> dict[str, float | int]:
    """Totals over one fetch partition; requests and latency count only what this run asked (not the journal's)."""
    made_request = fetched.filter((pl.col("attempts") > 0) & pl.col("cache").ne_missing("journal"))
    latency = made_request["elapsed_ms"]
    return {
        "bytes": int(fetched["bytes"].sum()),
        "requests": int(made_request["attempts"].sum()),
        "retries": int((made_request["attempts"] - 1).sum()),
        "latency_p50_ms": round(float(latency.quantile(0.5) or 0.0), 1) if len(latency) else 0.0,
        "latency_p95_ms": round(float(latency.quantile(0.95) or 0.0), 1) if len(latency) else 0.0,
        "not_modified_304": int((fetched["cache"] == "not_modified").sum()),
        "reused_from_journal": int((fetched["cache"] == "journal").sum()),
    }
