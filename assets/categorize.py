"""categorize: taxonomy category, tags, summary and entities of every classified record."""

import dagster as dg

from assets.fetch import NETWORK_RETRY
from assets.metadata import counts, partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.categorize.ai_cache import open_cache
from content_pipeline.categorize.cached_provider import with_cache
from content_pipeline.categorize.stage import categorize_partition
from content_pipeline.categorize.stats import categorize_stats
from resources.categorizer import CategorizerResource
from resources.warehouse import WarehouseResource


@dg.asset(
    partitions_def=daily_partitions,
    group_name="content",
    deps=["classify"],
    kinds={"parquet"},
    retry_policy=NETWORK_RETRY,
)
def categorize(
    context: dg.AssetExecutionContext, categorizer: CategorizerResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """The provider's answer per record: the local model by default, Gemini when GEMINI_API_KEY is set.

    Answers already in the AI cache (same provider, model, prompt, taxonomy and content) are not asked again.
    """
    day = context.partition_key
    taxonomy = categorizer.taxonomy()
    provider = categorizer.provider(taxonomy)
    with open_cache(categorizer.ai_cache_for(provider)) as cache:
        data = categorize_partition(warehouse.read("classify", day), with_cache(provider, cache, taxonomy.version))
    path = warehouse.write("categorize", day, data)
    metadata = partition_metadata(data, path, ["record_id", "status", "category", "confidence", "tags", "reason"])
    metadata["category_counts"] = dg.MetadataValue.json(counts(data, "category"))
    metadata["provider"] = provider.name
    metadata["model"] = provider.model
    metadata["taxonomy_version"] = taxonomy.version
    metadata["ai_cache"] = "on" if cache is not None else "off"
    metadata.update(categorize_stats(data))  # tokens, cost_usd and cache hits/misses of this run
    if note := getattr(provider, "cost_note", ""):
        metadata["cost_note"] = note  # e.g. a model missing from the price table: its cost is unknown
    return dg.MaterializeResult(metadata=metadata)
