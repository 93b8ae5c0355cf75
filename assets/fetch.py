"""fetch: the HTTP outcome of every ingested record."""

import dagster as dg

from assets.metadata import partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.fetch.stage import fetch_partition
from resources.fetcher import FetcherResource
from resources.warehouse import WarehouseResource

NETWORK_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@dg.asset(
    partitions_def=daily_partitions,
    group_name="content",
    deps=["ingest"],
    kinds={"parquet"},
    retry_policy=NETWORK_RETRY,
)
def fetch(
    context: dg.AssetExecutionContext, fetcher: FetcherResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Status, headers and body of every fetchable URL; rows that were not fetchable are `skipped`."""
    day = context.partition_key
    data = fetch_partition(warehouse.read("ingest", day), fetcher.fetcher())
    path = warehouse.write("fetch", day, data)
    metadata = partition_metadata(data, path, ["record_id", "url", "status", "http_status", "content_type", "reason"])
    metadata["bytes"] = int(data["bytes"].sum())
    return dg.MaterializeResult(metadata=metadata)
