"""ingest: the day's items from the CSV inbox, image folders and the Google Sheet, each with a status."""

import time
from datetime import date

import dagster as dg

from assets.metadata import counts, partition_metadata
from assets.ranges import Day, materialize_days
from assets.stage_asset import stage_asset
from content_pipeline.ingest.combine import ingest_frame
from content_pipeline.progress import track
from content_pipeline.quality.checks import stage_checks
from content_pipeline.stages import Stage
from resources.drive import DriveResource
from resources.exporter import ExportResource
from resources.inbox import InboxResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource


@stage_asset(Stage.INGEST, kinds={"csv", "parquet", "googlesheets", "googledrive"})
def ingest(
    context: dg.AssetExecutionContext,
    inbox: InboxResource,
    exporter: ExportResource,
    sheets: SheetsResource,
    drive: DriveResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    """One row per URL or image file that arrived this day (invalid and duplicate items kept, with a status), the
    images of the Drive image folders included."""

    def one_day(day: str) -> Day:
        began = time.monotonic()
        on = date.fromisoformat(day)
        sheet = sheets.read_day(on) if sheets.enabled else None
        moved = exporter.moved_images_ledger()  # images move mode filed keep their rows
        images = inbox.image_rows(on, moved) + drive.image_rows(sheets, on, moved)
        data = ingest_frame(inbox.csv_rows(on), images, sheet.records if sheet else [])
        for problem in data.filter(data["status"] == "bad_file")["reason"].to_list():
            context.log.warning(problem)
        progress = track(Stage.INGEST, day, len(data), started=began).finish()  # read whole: a day's links are small
        context.log.info(progress.describe())
        path = warehouse.write(Stage.INGEST, day, data, refresh=False)
        metadata = partition_metadata(Stage.INGEST, data, path, ["record_id", "url", "status", "reason", "source_file"])
        metadata["files"] = dg.MetadataValue.json(counts(data, "source_file"))
        metadata["sources"] = dg.MetadataValue.json(counts(data, "source"))
        if sheet is not None:
            metadata["sheet_rows_stamped"] = dg.MetadataValue.int(sheet.stamped)
        return Day(data, metadata)

    return materialize_days(context, warehouse, one_day, checks=lambda data: stage_checks(Stage.INGEST, data))
