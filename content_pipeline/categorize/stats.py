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


def kept_partition_stats(categorized: pl.DataFrame) -> dict[str, float | int]:
    """`categorize_stats` of a run that kept its stored partition: it asked nothing and paid nothing, every answer
    it shows came from what was stored (counted as cache hits)."""
    asked = categorized["cache"].is_not_null()
    return categorize_stats(
        categorized.with_columns(
            cache=pl.when(asked).then(pl.lit("hit")), tokens_in=pl.lit(0), tokens_out=pl.lit(0), cost_usd=pl.lit(0.0)
        )
    )
