"""export_files: the day's `records.csv`, `records.parquet` and `report.html` under the output folder, written from
the stored export partition, and uploaded to a Drive folder when one is configured."""

import dagster as dg

from assets.chunks import progress_log, stage_stamp
from assets.metadata import report_metadata
from assets.ranges import Day, materialize_days
from assets.retry_policies import DISK_RETRY
from assets.stage_asset import stage_asset
from content_pipeline.drive.errors import DriveError, DriveUnavailableError
from content_pipeline.export.files_stage import FILES_CHUNK_ROWS, rows_in_files, write_stored_day
from content_pipeline.quality.output_checks import files_hold_every_row
from content_pipeline.stages import Stage
from content_pipeline.warehouse.storage import Location
from resources.drive import DriveResource
from resources.exporter import ExportResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource


@stage_asset(Stage.EXPORT_FILES, kinds={"csv", "parquet", "html"}, retry_policy=DISK_RETRY)
def export_files(
    context: dg.AssetExecutionContext,
    exporter: ExportResource,
    warehouse: WarehouseResource,
    drive: DriveResource,
    sheets: SheetsResource,
) -> dg.MaterializeResult:
    """The export partition as files for people and tools (CSV without the long texts, parquet with every value) and
    a self-contained HTML report with charts; kept as they are when the partition they were made from is unchanged.
    With a Drive export folder, the three are uploaded to its day sub-folder on every run (replaced, never copied)."""
    stamp = stage_stamp(context, exporter.output)

    def one_day(day: str) -> Day:
        rows = warehouse.rows_per_chunk(FILES_CHUNK_ROWS)
        written = write_stored_day(warehouse.store, day, exporter.output_root, stamp, progress_log(context), rows)
        metadata: dict[str, object] = {"dagster/row_count": len(written.rows)}
        metadata.update({f"{fmt}_file": dg.MetadataValue.path(str(p)) for fmt, p in written.files.items()})
        metadata.update(report_metadata(written.report))
        metadata["unchanged_input"] = dg.MetadataValue.bool(written.unchanged)  # the files were kept as they were
        if drive.enabled:
            metadata.update(drive_metadata(drive, sheets, day, [*written.files.values(), written.report]))
        checked = (files_hold_every_row(len(written.rows), rows_in_files(written.files)),)
        return Day(written.rows, metadata, written.version, kept=written.unchanged, outcomes=checked)

    return materialize_days(context, warehouse, one_day)


def drive_metadata(drive: DriveResource, sheets: SheetsResource, day: str, files: list[Location]) -> dict[str, object]:
    """Upload the day's files to Drive; their links, for the materialization."""
    try:
        uploads = drive.upload_day(sheets, day, files)
    except DriveUnavailableError:
        raise  # rate limits or an outage: the step's retry policy tries again later
    except DriveError as exc:  # sharing, credentials, configuration: waiting does not help
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    links = {u.name: u.link for u in uploads}
    return {"drive_files": dg.MetadataValue.json(links)} | {
        f"drive_{u.name.replace('.', '_')}": dg.MetadataValue.url(u.link) for u in uploads
    }
