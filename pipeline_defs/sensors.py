"""Sensors: new rows in the Google Sheet start a run for their day's partition."""

import dagster as dg

from assets.partitions import daily_partitions
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.run_plan import plan_runs
from pipeline_defs.jobs import pipeline_job
from resources.sheets import SheetsResource

SHEET_POLL_S = 60  # two read requests a tick: well inside Sheets' 60 reads per minute


def build_sheet_rows_sensor(running: bool) -> dg.SensorDefinition:
    @dg.sensor(
        job=pipeline_job,
        minimum_interval_seconds=SHEET_POLL_S,
        default_status=dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED,
        description="Starts a run for every day whose rows in the input worksheet are new or changed.",
    )
    def sheet_rows_sensor(context: dg.SensorEvaluationContext, sheets: SheetsResource) -> dg.SensorResult:
        if not sheets.enabled:
            return dg.SensorResult(skip_reason="no spreadsheet configured (CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID)")
        try:
            digests = sheets.digests()
        except SheetsError as exc:
            return dg.SensorResult(skip_reason=f"the sheet could not be read: {exc}")
        allowed = set(daily_partitions.get_partition_keys())
        runs, cursor = plan_runs(digests, context.cursor, allowed)
        requests = [dg.RunRequest(run_key=run.run_key, partition_key=run.day, tags={"source": "sheet"}) for run in runs]
        if not requests:
            return dg.SensorResult(skip_reason="no new or changed rows", cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return sheet_rows_sensor
