"""export: the joined result of all stages, written to CSV and parquet files and kept as a partition."""

import dagster as dg

from assets.metadata import counts, partition_metadata
from assets.partitions import daily_partitions
from content_pipeline.export.records import STAGES, build_records
from resources.exporter import ExportResource
from resources.warehouse import WarehouseResource


@dg.asset(partitions_def=daily_partitions, group_name="content", deps=["categorize"], kinds={"csv", "parquet"})
def export(
    context: dg.AssetExecutionContext, exporter: ExportResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per record with every stage's outcome; and files under the output folder."""
    day = context.partition_key
    records = build_records(*(warehouse.read(stage, day) for stage in STAGES))
    written = exporter.write(records, day)
    path = warehouse.write("export", day, records)
    metadata = partition_metadata(records, path, ["record_id", "status", "kind", "category", "title", "reason"])
    metadata.update({f"{fmt}_file": dg.MetadataValue.path(str(p)) for fmt, p in written.items()})
    metadata["kind_counts"] = dg.MetadataValue.json(counts(records, "kind"))
    metadata["category_counts"] = dg.MetadataValue.json(counts(records, "category"))
    metadata["catalog"] = dg.MetadataValue.path(warehouse.catalog_path)
    return dg.MaterializeResult(metadata=metadata)
