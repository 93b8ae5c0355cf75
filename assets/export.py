"""export: the joined result of all stages, written to CSV and parquet files, images filed by category, results
written back to the Google Sheet; kept as a partition."""

from pathlib import Path

import dagster as dg

from assets.chunks import progress_log, run_metadata, stage_stamp
from assets.metadata import cost_metadata, counts, partition_metadata, report_metadata
from assets.ranges import Day, materialize_days
from assets.stage_asset import stage_asset
from content_pipeline.export.report import write_report
from content_pipeline.export.stage import EXPORT_CHUNK_ROWS, export_stored_day
from content_pipeline.quality.checks import stage_checks
from content_pipeline.sheets.results import RESULT_COLUMNS
from content_pipeline.stages import Stage
from resources.exporter import ExportResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource


@stage_asset(Stage.EXPORT, kinds={"csv", "parquet", "googlesheets"})
def export(
    context: dg.AssetExecutionContext, exporter: ExportResource, sheets: SheetsResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per record with every stage's outcome; files under the output folder; rows in the results sheet."""

    stamp = stage_stamp(context, exporter.output, str(exporter.images_root), exporter.images_mode)

    def one_day(day: str) -> Day:
        exported = export_stored_day(
            warehouse.store, day, Path(exporter.output), exporter.file_images, exporter.moved_images_ledger(), stamp,
            progress_log(context), warehouse.rows_per_chunk(EXPORT_CHUNK_ROWS),
        )  # fmt: skip
        records, filed = exported.run.committed.summary, exported.filed  # texts are nulls in this slim copy
        report_path = write_report(records, Path(exporter.output) / day / "report.html", day)
        metadata = partition_metadata(
            records, exported.run.committed.path, ["record_id", "status", "kind", "category", "title", "reason"]
        )
        metadata.update({f"{fmt}_file": dg.MetadataValue.path(str(p)) for fmt, p in exported.files.items()})
        metadata["kind_counts"] = dg.MetadataValue.json(counts(records, "kind"))
        metadata["category_counts"] = dg.MetadataValue.json(counts(records, "category"))
        metadata["catalog"] = dg.MetadataValue.path(warehouse.catalog)
        metadata.update(report_metadata(report_path))
        metadata.update(cost_metadata(records))
        metadata.update(run_metadata(exported.run))
        if records["filed_status"].drop_nulls().len():
            metadata["images_filed"] = dg.MetadataValue.json(counts(records.drop_nulls("filed_status"), "filed_status"))
            metadata["images_new_files"] = dg.MetadataValue.int(sum(r.status == "filed" for r in filed))
            metadata["images_folder"] = dg.MetadataValue.path(str(exporter.images_root))
        if sheets.enabled and sheets.write_back:  # the columns it writes, from the stored rows (not the slim copy)
            stored = warehouse.store.read(Stage.EXPORT, day, [c for c in RESULT_COLUMNS if c in records.columns])
            report = sheets.write_results(stored.to_dicts())
            metadata["sheet_results"] = dg.MetadataValue.json(
                {k: v for k, v in vars(report).items() if k != "worksheet"} | {"worksheet": report.worksheet}
            )
        return Day(records, metadata, exported.run.committed.content_version, kept=exported.run.unchanged)

    return materialize_days(context, warehouse, one_day, checks=lambda data: stage_checks(Stage.EXPORT, data))
