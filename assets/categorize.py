"""categorize: taxonomy category, tags, summary and entities of every classified record."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.chunks import progress_log, run_metadata, stage_stamp
from assets.metadata import counts, partition_metadata
from assets.ranges import Day, materialize_days
from assets.retry_policies import NETWORK_RETRY
from assets.stage_asset import stage_asset
from content_pipeline.categorize.ai_cache import open_cache
from content_pipeline.categorize.cached_provider import with_cache
from content_pipeline.categorize.stage import (
    CATEGORIZE_CHUNK_ROWS,
    CLASSIFY_COLUMNS,
    categorize_partition,
    fit_to_day,
    may_keep_categorized,
)
from content_pipeline.categorize.stats import categorize_stats, kept_partition_stats
from content_pipeline.gemini.pricing import PriceTable
from content_pipeline.quality.checks import CheckOutcome, stage_checks
from content_pipeline.stages import Stage
from content_pipeline.warehouse.chunked_stage import process_stored_day
from resources.categorizer import CategorizerResource
from resources.cluster import ClusterResource
from resources.gemini import GeminiResource
from resources.quality import QualityResource
from resources.warehouse import WarehouseResource

AI_PROVIDER_POOL = "ai_provider"  # every step that asks the AI provider (Gemini's quotas are per project)
QUOTA_RETRIES = 3  # step retries after a quota that asked to wait longer than one request may
QUOTA_MAX_WAIT_S = 15 * 60.0  # a quota that asks for more is left to a later rerun (its rows say so)


@stage_asset(Stage.CATEGORIZE, kinds={"parquet"}, retry_policy=NETWORK_RETRY, pool=AI_PROVIDER_POOL)
def categorize(
    context: dg.AssetExecutionContext,
    categorizer: CategorizerResource,
    cluster: ClusterResource,
    gemini: GeminiResource,
    quality: QualityResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """The provider's answer per record: the local model by default, Gemini when GEMINI_API_KEY is set.

    Answers already in the AI cache (same provider, model, prompt, taxonomy and content) are not asked again. When
    Gemini stops on a quota that asks to wait (not a used-up daily quota), the day is written as it is and the step
    is retried after the server's delay; the retry asks only for what the cache does not hold.
    """
    taxonomy = categorizer.load_taxonomy()
    with (
        cluster.answering(categorizer.provider(taxonomy, gemini)) as provider,
        open_cache(categorizer.ai_cache_for(provider, gemini)) as cache,
    ):
        asking = with_cache(provider, cache, taxonomy.version)

        local_settings = (categorizer.local_fit_to_day, categorizer.local_uncertain_below)  # they change local answers
        stamp = stage_stamp(context, provider.name, provider.model, taxonomy.version, *local_settings)

        chunk_rows = warehouse.rows_per_chunk(CATEGORIZE_CHUNK_ROWS)
        prices = getattr(provider, "prices", None)  # Gemini's price table; the local provider costs nothing
        prices_note = prices.age_note(datetime.now(UTC).date()) if isinstance(prices, PriceTable) else ""
        if prices_note:
            context.log.warning(prices_note)

        def one_day(day: str) -> Day:
            if categorizer.local_fit_to_day:
                fit_to_day(provider, warehouse.store, day, chunk_rows)  # read at the first answer, if one is asked
            run = process_stored_day(
                warehouse.store, Stage.CATEGORIZE, day, CLASSIFY_COLUMNS, chunk_rows, stamp,
                lambda classified: categorize_partition(classified, asking), progress_log(context),
                keep_if=may_keep_categorized,
            )  # fmt: skip
            retry_after_quota(context, asking, day)
            data = run.committed.summary
            preview = ["record_id", "status", "category", "confidence", "tags", "reason"]
            metadata = partition_metadata(Stage.CATEGORIZE, data, run.committed.path, preview)
            metadata.update(run_metadata(run))
            metadata["category_counts"] = dg.MetadataValue.json(counts(data, "category"))
            metadata["provider"] = provider.name
            metadata["model"] = provider.model
            metadata["taxonomy_version"] = taxonomy.version
            metadata["ai_cache"] = "on" if cache is not None else "off"
            metadata.update(
                kept_partition_stats(data) if run.unchanged else categorize_stats(data)
            )  # tokens, cost_usd and cache hits/misses of this run
            if isinstance(prices, PriceTable):
                metadata["gemini_prices_as_of"] = prices.as_of or "unknown"
            if prices_note:
                metadata["gemini_prices_note"] = prices_note
            if note := getattr(provider, "cost_note", ""):
                metadata["cost_note"] = note  # e.g. a model missing from the price table: its cost is unknown
            return Day(data, metadata, run.committed.content_version, kept=run.unchanged)

        def checks(data: pl.DataFrame) -> list[CheckOutcome]:
            bound = quality.max_failure_rate
            return stage_checks(Stage.CATEGORIZE, data, max_failure_rate=bound, taxonomy_names=taxonomy.names)

        return materialize_days(context, warehouse, one_day, checks=checks)


def quota_wait_s(provider: object) -> float | None:
    """The delay a quota asked for when the provider (or the one it wraps) stopped on it; None otherwise.

    None too for a used-up daily quota: its rows say to rerun tomorrow."""
    seen: object | None = provider
    while seen is not None:
        delay = getattr(seen, "retry_after_s", None)
        if isinstance(delay, int | float):
            return float(delay)
        seen = getattr(seen, "inner", None)  # CachedProvider wraps the provider that talks to the service
    return None


def retry_after_quota(context: dg.AssetExecutionContext, provider: object, day: str) -> None:
    """After `day` is written: retry the step after the server's delay if the provider stopped on a quota."""
    wait = quota_wait_s(provider)
    if wait is None:
        return
    if wait > QUOTA_MAX_WAIT_S or context.retry_number >= QUOTA_RETRIES:
        context.log.warning(
            f"categorize {day}: the provider's quota asks to wait {wait:.0f} s; not retrying again (retry "
            f"{context.retry_number} of {QUOTA_RETRIES}, at most {QUOTA_MAX_WAIT_S:.0f} s): the rows not categorized "
            "say so, rerun the partition later to fill them in"
        )
        return
    context.log.warning(
        f"categorize {day}: the provider's quota asks to wait {wait:.0f} s; retrying the step after that "
        f"(retry {context.retry_number + 1} of {QUOTA_RETRIES}); the AI cache keeps the answers already paid for"
    )
    raise dg.RetryRequested(max_retries=QUOTA_RETRIES, seconds_to_wait=wait)
