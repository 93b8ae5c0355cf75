"""Figures a person checks after a fetch: bytes, latency percentiles, retries, cache and 304 hits."""

import polars as pl


def fetch_stats(fetched: pl.DataFrame) -> dict[str, float | int]:
    """Totals over one fetch partition; latency counts only records that made a request in this run."""
    made_request = fetched.filter(pl.col("attempts") > 0)
    latency = made_request["elapsed_ms"]
    return {
        "bytes": int(fetched["bytes"].sum()),
        "requests": int(fetched["attempts"].sum()),
        "retries": int((made_request["attempts"] - 1).sum()),
        "latency_p50_ms": round(float(latency.quantile(0.5) or 0.0), 1) if len(latency) else 0.0,
        "latency_p95_ms": round(float(latency.quantile(0.95) or 0.0), 1) if len(latency) else 0.0,
        "revalidated_304": int((fetched["cache"] == "revalidated").sum()),
        "reused_from_journal": int((fetched["cache"] == "journal").sum()),
    }
