"""ingest: the day's URL rows from the CSV inbox, each with a status."""

from datetime import date

import dagster as dg

from assets.metadata import counts, partition_metadata
from assets.partitions import daily_partitions
from resources.inbox import InboxResource
from resources.warehouse import WarehouseResource


@dg.asset(partitions_def=daily_partitions, group_name="content", kinds={"csv", "parquet"})
def ingest(
    context: dg.AssetExecutionContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per URL dropped into the inbox for this day (invalid and duplicate URLs kept, with a status)."""
    day = context.partition_key
    data = inbox.read(date.fromisoformat(day))
    for problem in data.filter(data["status"] == "bad_file")["reason"].to_list():
        context.log.warning(problem)
    path = warehouse.write("ingest", day, data)
    metadata = partition_metadata(data, path, ["record_id", "url", "status", "reason", "source_file"])
    metadata["files"] = dg.MetadataValue.json(counts(data, "source_file"))
    return dg.MaterializeResult(metadata=metadata)
