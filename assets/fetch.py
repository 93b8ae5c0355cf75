"""fetch: the HTTP outcome of every ingested record."""

import dagster as dg
import polars as pl

from assets.chunks import progress_log, run_metadata, stage_stamp
from assets.metadata import partition_metadata
from assets.ranges import Day, materialize_days
from assets.retry_policies import NETWORK_RETRY
from assets.stage_asset import stage_asset
from content_pipeline.fetch.drive_files import DriveFiles
from content_pipeline.fetch.settings import fetch_settings_metadata
from content_pipeline.fetch.stage import FETCH_CHUNK_ROWS, FetchOptions, fetch_stored_day
from content_pipeline.fetch.stats import fetch_stats
from content_pipeline.quality.checks import CheckOutcome, stage_checks
from content_pipeline.stages import Stage
from resources.drive import DriveResource
from resources.exporter import ExportResource
from resources.fetcher import FetcherResource
from resources.inbox import InboxResource
from resources.quality import QualityResource
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource

OUTBOUND_HTTP_POOL = "outbound_http"  # every step that sends requests to websites (pages, robots.txt, oEmbed)


@stage_asset(Stage.FETCH, kinds={"parquet"}, retry_policy=NETWORK_RETRY, pool=OUTBOUND_HTTP_POOL)
def fetch(
    context: dg.AssetExecutionContext,
    fetcher: FetcherResource,
    inbox: InboxResource,
    exporter: ExportResource,
    quality: QualityResource,
    warehouse: WarehouseResource,
    drive: DriveResource,
    sheets: SheetsResource,
) -> dg.MaterializeResult:
    """Status, headers and body of every fetchable URL and image file (images of Drive folders through the Drive
    API); rows that were not fetchable are `skipped`.

    Finished fetches are journaled as they complete, so a retry of a crashed run fetches only the rest.
    """
    settings = fetcher.settings()
    # Drive: signed in only for a chunk with Drive images; its download threads stop with the step
    with fetcher.open() as http, DriveFiles(lambda: drive.client(sheets), drive.concurrency) as in_drive:
        ledger = exporter.moved_images_ledger()
        if ledger is not None and drive.files_images:  # images that move mode put into Drive are read there
            ledger.read_drive = drive.image_reader(sheets)
        options = FetchOptions(fetcher.ignore_robots, inbox.image_roots(), ledger, in_drive)
        stamp = stage_stamp(context, settings, options.ignore_robots_for, options.image_roots)

        def one_day(day: str) -> Day:
            rows = warehouse.rows_per_chunk(FETCH_CHUNK_ROWS)
            run = fetch_stored_day(warehouse.store, day, http, options, stamp, progress_log(context), rows)
            if http.cache is not None:
                http.cache.close_partition(day)
            data = run.committed.summary
            preview = ["record_id", "url", "status", "http_status", "content_type", "reason"]
            metadata = partition_metadata(Stage.FETCH, data, run.committed.path, preview)
            metadata.update(fetch_stats(data))
            metadata["fetch_settings"] = dg.MetadataValue.json(fetch_settings_metadata(settings))
            metadata.update(run_metadata(run))
            return Day(data, metadata, run.committed.content_version, kept=run.unchanged)

        def checks(data: pl.DataFrame) -> list[CheckOutcome]:
            return stage_checks(Stage.FETCH, data, max_failure_rate=quality.max_failure_rate)

        return materialize_days(context, warehouse, one_day, checks=checks)
