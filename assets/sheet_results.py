"""sheet_results: every record of the export partition as a row of the Google Sheet's results worksheet."""

import dagster as dg
import polars as pl

from assets.chunks import progress_log
from assets.ranges import Day, materialize_days
from assets.retry_policies import SHEETS_RETRY
from assets.stage_asset import stage_asset
from content_pipeline.progress import track
from content_pipeline.quality.output_checks import every_record_written, sheets_off
from content_pipeline.sheets.errors import SheetsError, SheetsUnavailableError
from content_pipeline.sheets.results import RESULT_COLUMNS
from content_pipeline.stages import Stage
from resources.sheets import SheetsResource
from resources.warehouse import WarehouseResource

GOOGLE_SHEETS_POOL = "google_sheets"  # every step that writes to Google Sheets (its quotas are per user and project)
SHEETS_OFF = "sheets"  # the metadata key that says why nothing was written


@stage_asset(Stage.SHEET_RESULTS, kinds={"googlesheets"}, retry_policy=SHEETS_RETRY, pool=GOOGLE_SHEETS_POOL)
def sheet_results(
    context: dg.AssetExecutionContext, sheets: SheetsResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per record id in the results worksheet, updated in place on a rerun. Without a spreadsheet, or with
    write-back off, it writes nothing and says so in its metadata."""
    off = sheets_off_reason(sheets)

    def one_day(day: str) -> Day:
        version = warehouse.store.stored_version(Stage.EXPORT, day) or warehouse.store.identity(Stage.EXPORT, day)
        if off:
            metadata = {"dagster/row_count": 0, SHEETS_OFF: off}
            return Day(pl.DataFrame(), metadata, version, outcomes=(sheets_off(off),))
        with warehouse.store.reader(Stage.EXPORT, day) as reader:
            columns = [c for c in RESULT_COLUMNS if c in reader.columns]
        records = warehouse.store.read(Stage.EXPORT, day, columns)  # the columns it writes, every row of the day
        tracker = track(Stage.SHEET_RESULTS, day, len(records))
        progress_log(context)(tracker.progress)
        try:
            report = sheets.write_results(records.to_dicts())
        except SheetsUnavailableError:
            raise  # quota or outage: the step's retry policy tries again later
        except SheetsError as exc:  # credentials, sharing, configuration: waiting does not help
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        progress_log(context)(tracker.finish())
        shown = {k: v for k, v in vars(report).items() if k != "worksheet"} | {"worksheet": report.worksheet}
        metadata = {"dagster/row_count": len(records), "sheet_results": dg.MetadataValue.json(shown)}
        checked = (every_record_written(len(records), report.updated, report.appended),)
        return Day(records, metadata, version, outcomes=checked)

    return materialize_days(context, warehouse, one_day)


def sheets_off_reason(sheets: SheetsResource) -> str:
    """Why nothing is written to a Sheet ('' when results are written)."""
    if not sheets.enabled:
        return "off: no spreadsheet is configured (CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID)"
    if not sheets.write_back:
        return "off: write-back is off (CONTENT_PIPELINE_SHEETS_WRITE_BACK)"
    return ""
