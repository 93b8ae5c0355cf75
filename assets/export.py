"""export: the joined result of all stages, written to CSV and parquet files, images filed by category, results
written back to the Google Sheet; kept as a partition."""

from pathlib import Path

import dagster as dg

from assets.checks import check_specs
from assets.metadata import cost_metadata, counts, partition_metadata, report_metadata
from assets.partitions import daily_partitions
from assets.ranges import BACKFILL_POLICY, Day, materialize_days
from content_pipeline.export.image_items import filing_ids, image_items, with_filing
from content_pipeline.export.records import READ_COLUMNS, STAGES, build_records
from content_pipeline.export.report import write_report
from content_pipeline.quality.checks import stage_checks
from resources.exporter import ExportResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource


@dg.asset(
    partitions_def=daily_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name="content",
    deps=["categorize"],
    kinds={"csv", "parquet", "googlesheets"},
    check_specs=check_specs("export"),
)
def export(
    context: dg.AssetExecutionContext, exporter: ExportResource, sheets: SheetsResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per record with every stage's outcome; files under the output folder; rows in the results sheet."""

    def one_day(day: str) -> Day:
        records = build_records(*(warehouse.read(stage, day, READ_COLUMNS.get(stage)) for stage in STAGES))
        bodies: dict[str, bytes | None] = {}
        if wanted := filing_ids(records):
            bodies = dict(warehouse.read("fetch", day, ["record_id", "body"], record_ids=wanted).iter_rows())
        filed = exporter.file_images(image_items(records, bodies, exporter.moved_images))
        records = with_filing(records, filed)
        written = exporter.write(records, day)
        report_path = write_report(records, Path(exporter.output_dir) / day / "report.html", day)
        path = warehouse.write("export", day, records, refresh=False)
        metadata = partition_metadata(records, path, ["record_id", "status", "kind", "category", "title", "reason"])
        metadata.update({f"{fmt}_file": dg.MetadataValue.path(str(p)) for fmt, p in written.items()})
        metadata["kind_counts"] = dg.MetadataValue.json(counts(records, "kind"))
        metadata["category_counts"] = dg.MetadataValue.json(counts(records, "category"))
        metadata["catalog"] = dg.MetadataValue.path(warehouse.catalog_path)
        metadata.update(report_metadata(report_path))
        metadata.update(cost_metadata(records))
        if filed:
            metadata["images_filed"] = dg.MetadataValue.json(counts(records.drop_nulls("filed_status"), "filed_status"))
            metadata["images_new_files"] = dg.MetadataValue.int(sum(r.status == "filed" for r in filed))
            metadata["images_folder"] = dg.MetadataValue.path(str(exporter.images_root))
        if sheets.enabled and sheets.write_back:
            report = sheets.write_results(records.to_dicts())
            metadata["sheet_results"] = dg.MetadataValue.json(
                {k: v for k, v in vars(report).items() if k != "worksheet"} | {"worksheet": report.worksheet}
            )
        return Day(records, metadata)

    return materialize_days(
        context, warehouse, "export", one_day, needs=list(STAGES), checks=lambda data: stage_checks("export", data)
    )
