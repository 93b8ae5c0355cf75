"""fetch: the HTTP outcome of every ingested record."""

import dagster as dg

from assets.metadata import partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.fetch.stage import fetch_partition
from content_pipeline.fetch.stats import fetch_stats
from resources.fetcher import FetcherResource
from resources.inbox import InboxResource
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
    context: dg.AssetExecutionContext, fetcher: FetcherResource, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Status, headers and body of every fetchable URL and image file; rows that were not fetchable are `skipped`.

    Finished fetches are journaled as they complete, so a retry of a crashed run fetches only the rest.
    """
    day = context.partition_key
    with fetcher.open() as http:
        ingested = warehouse.read("ingest", day)
        data = fetch_partition(ingested, http, day, fetcher.ignore_robots_for, inbox.image_roots())
        path = warehouse.write("fetch", day, data)
        if http.cache is not None:
            http.cache.close_partition(day)
    metadata = partition_metadata(data, path, ["record_id", "url", "status", "http_status", "content_type", "reason"])
    metadata.update(fetch_stats(data))
    return dg.MaterializeResult(metadata=metadata)
