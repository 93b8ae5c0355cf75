"""filed_images: every image of the day filed by its visual category, one row per image saying where it is now."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from assets.chunks import progress_log, run_metadata, stage_stamp
from assets.metadata import partition_metadata
from assets.ranges import Day, materialize_days
from assets.retry_policies import DISK_RETRY
from assets.stage_asset import stage_asset
from content_pipeline.drive.errors import DriveError, DriveUnavailableError
from content_pipeline.export.filing_stage import FILING_CHUNK_ROWS, FileImages, file_stored_day, image_ids
from content_pipeline.quality.checks import stage_checks
from content_pipeline.quality.output_checks import every_image_filed
from content_pipeline.stages import Stage
from resources.drive import DriveResource
from resources.exporter import ExportResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource


@stage_asset(Stage.FILED_IMAGES, kinds={"parquet", "image"}, retry_policy=DISK_RETRY)
def filed_images(
    context: dg.AssetExecutionContext,
    exporter: ExportResource,
    warehouse: WarehouseResource,
    drive: DriveResource,
    sheets: SheetsResource,
) -> dg.MaterializeResult:
    """Images from image folders and images fetched from URLs, copied (or moved) into `<images>/<category>/`, or into
    Drive's images folder when Drive filing is on; failures into `failures/` with their reason. A rerun files nothing
    twice."""
    in_drive = (drive.images_mode, drive.images_folder, drive.export_folder) if drive.files_images else ()
    stamp = stage_stamp(context, str(exporter.images_root), exporter.images_mode, *in_drive)

    def one_day(day: str) -> Day:
        ledger = exporter.moved_images_ledger()
        file_images: FileImages = exporter.file_images
        folder: object = dg.MetadataValue.path(str(exporter.images_root))
        mode: str = exporter.images_mode
        with drive_failures():
            if drive.files_images:
                filer = drive.image_filing(sheets, ledger)
                file_images, folder, mode = filer, dg.MetadataValue.url(filer.link), f"drive {drive.images_mode}"
            filing = file_stored_day(
                warehouse.store, day, file_images, ledger, stamp, progress_log(context),
                warehouse.rows_per_chunk(FILING_CHUNK_ROWS),
            )  # fmt: skip
        data = filing.run.committed.summary
        metadata = partition_metadata(
            Stage.FILED_IMAGES, data, filing.run.committed.path, ["record_id", "status", "path", "reason"]
        )
        metadata["images_new_files"] = dg.MetadataValue.int(filing.new_files)
        metadata["images_folder"] = folder
        metadata["images_mode"] = mode
        metadata.update(run_metadata(filing.run))
        checked = (every_image_filed(data, image_ids(warehouse.store, day)),)
        return Day(data, metadata, filing.run.committed.content_version, filing.run.unchanged, checked)

    return materialize_days(context, warehouse, one_day, checks=lambda data: stage_checks(Stage.FILED_IMAGES, data))


@contextmanager
def drive_failures() -> Iterator[None]:
    """Drive's refusals as a step failure in one line; rate limits and outages stay retried by the step's policy."""
    try:
        yield
    except DriveUnavailableError:
        raise
    except DriveError as exc:  # sharing, credentials, configuration: waiting does not help
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
