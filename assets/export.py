"""export: the joined result of every stage and of the image filing, one row per record, kept as a partition (the
day's files and the Google Sheet are written from it by export_files and sheet_results)."""

import dagster as dg

from assets.chunks import progress_log, run_metadata, stage_stamp
from assets.metadata import cost_metadata, counts, partition_metadata
from assets.ranges import Day, materialize_days
from assets.retry_policies import DISK_RETRY
from assets.stage_asset import stage_asset
from content_pipeline.export.overview import export_overview
from content_pipeline.export.stage import EXPORT_CHUNK_ROWS, export_stored_day
from content_pipeline.quality.checks import stage_checks
from content_pipeline.stages import Stage
from resources.warehouse import WarehouseResource


@stage_asset(Stage.EXPORT, kinds={"parquet"}, retry_policy=DISK_RETRY)
def export(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per record with every stage's outcome, an overall status and reason, and where its image was filed."""
    stamp = stage_stamp(context)

    def one_day(day: str) -> Day:
        rows = warehouse.rows_per_chunk(EXPORT_CHUNK_ROWS)
        run = export_stored_day(warehouse.store, day, stamp, progress_log(context), rows)
        records = run.committed.summary  # texts are nulls in this slim copy
        preview = ["record_id", "status", "kind", "category", "title", "reason"]
        metadata = partition_metadata(Stage.EXPORT, records, run.committed.path, preview)
        overview = export_overview(records, run.committed.path, warehouse.store.connect)  # categories, failures
        metadata["overview"] = dg.MetadataValue.md(overview)
        metadata["kind_counts"] = dg.MetadataValue.json(counts(records, "kind"))
        metadata["category_counts"] = dg.MetadataValue.json(counts(records, "category"))
        metadata["catalog"] = dg.MetadataValue.path(warehouse.catalog)
        metadata.update(cost_metadata(records))
        metadata.update(run_metadata(run))
        if records["filed_status"].drop_nulls().len():
            metadata["images_filed"] = dg.MetadataValue.json(counts(records.drop_nulls("filed_status"), "filed_status"))
        return Day(records, metadata, run.committed.content_version, kept=run.unchanged)

    return materialize_days(context, warehouse, one_day, checks=lambda data: stage_checks(Stage.EXPORT, data))
