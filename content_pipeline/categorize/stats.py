"""Figures a person checks after a categorize run: tokens, cost, AI cache hits and misses."""

import polars as pl


def categorize_stats(categorized: pl.DataFrame) -> dict[str, float | int]:
    """Totals over one categorize partition; the hit rate counts only records that reached the provider or cache."""
    hits = int((categorized["cache"] == "hit").sum())
    misses = int((categorized["cache"] == "miss").sum())
    looked_up = hits + misses
    return {
        "tokens_in": int(categorized["tokens_in"].sum()),
        "tokens_out": int(categorized["tokens_out"].sum()),
        "cost_usd": round(float(categorized["cost_usd"].fill_null(0.0).sum()), 6),
        "cache_hits": hits,
        "cache_misses": misses,
        "cache_hit_rate": round(hits / looked_up, 4) if looked_up else 0.0,
    }
