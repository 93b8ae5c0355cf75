"""categorize: taxonomy category, tags, summary and entities of every classified record."""

import dagster as dg

from assets.fetch import NETWORK_RETRY
from assets.metadata import counts, partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.categorize.stage import categorize_partition
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
    """The provider's answer per record: the local model by default, Gemini when GEMINI_API_KEY is set."""
    day = context.partition_key
    taxonomy = categorizer.taxonomy()
    provider = categorizer.provider(taxonomy)
    data = categorize_partition(warehouse.read("classify", day), provider)
    path = warehouse.write("categorize", day, data)
    metadata = partition_metadata(data, path, ["record_id", "status", "category", "confidence", "tags", "reason"])
    metadata["category_counts"] = dg.MetadataValue.json(counts(data, "category"))
    metadata["provider"] = provider.name
    metadata["model"] = provider.model
    metadata["taxonomy_version"] = taxonomy.version
    metadata["tokens_in"] = int(data["tokens_in"].sum())
    metadata["tokens_out"] = int(data["tokens_out"].sum())
    return dg.MaterializeResult(metadata=metadata)
