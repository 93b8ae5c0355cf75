"""Sensors: new rows in the Google Sheet or new CSV files in the inbox start a run for their day's partition; failed
runs are logged and, with a webhook configured, posted to it; eager automation carries updates downstream."""

from pathlib import Path

import dagster as dg

from assets.partitions import daily_partitions
from content_pipeline.alerts.webhook import FailedRun, alert_payload, secret_values, send_alert
from content_pipeline.ingest.inbox_snapshot import plan_inbox_runs
from content_pipeline.run_plan import plan_runs
from content_pipeline.sheets.errors import SheetsError
from pipeline_defs import environment
from pipeline_defs.jobs import pipeline_job
from resources.alerts import AlertsResource
from resources.inbox import InboxResource
from resources.sheets import SheetsResource

SHEET_POLL_S = 60  # two read requests a tick: well inside Sheets' 60 reads per minute
INBOX_POLL_S = 30  # a stat of every inbox file a tick; only new or changed files are read
FAILURE_POLL_S = 30
AUTOMATION_POLL_S = 60
MAX_STEP_ERRORS = 3


def build_sheet_rows_sensor(
    partitions: dg.DailyPartitionsDefinition = daily_partitions, running: bool = False
) -> dg.SensorDefinition:
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
        allowed = set(partitions.get_partition_keys())
        runs, cursor = plan_runs(digests, context.cursor, allowed)
        requests = [dg.RunRequest(run_key=run.run_key, partition_key=run.day, tags={"source": "sheet"}) for run in runs]
        if not requests:
            return dg.SensorResult(skip_reason="no new or changed rows", cursor=cursor)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return sheet_rows_sensor


def build_inbox_files_sensor(partitions: dg.DailyPartitionsDefinition = daily_partitions) -> dg.SensorDefinition:
    @dg.sensor(
        job=pipeline_job,
        minimum_interval_seconds=INBOX_POLL_S,
        default_status=dg.DefaultSensorStatus.STOPPED,  # its first tick runs every day that has files: opt in
        description="Starts a run for every day whose CSV rows in the inbox are new or changed (ten days a tick).",
    )
    def inbox_files_sensor(context: dg.SensorEvaluationContext, inbox: InboxResource) -> dg.SensorResult:
        allowed = set(partitions.get_partition_keys())
        plan = plan_inbox_runs(Path(inbox.path), context.cursor, allowed)
        for problem in plan.problems:
            context.log.warning(f"inbox file skipped this tick: {problem}")
        requests = [
            dg.RunRequest(run_key=run.run_key, partition_key=run.day, tags={"source": "inbox"}) for run in plan.runs
        ]
        if not requests:
            skip = f"no new or changed rows in {len(plan.files)} inbox file(s)"
            return dg.SensorResult(skip_reason=skip, cursor=plan.cursor)
        return dg.SensorResult(run_requests=requests, cursor=plan.cursor)

    return inbox_files_sensor


def failure_text(context: dg.RunFailureSensorContext) -> str:
    """The run's failure message, followed by the error of each failed step (at most a few)."""
    lines = [context.failure_event.message or "the run failed"]
    for event in context.get_step_failure_events()[:MAX_STEP_ERRORS]:
        data = event.step_failure_data
        error = data.error if data else None
        while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
            error = error.cause  # Dagster's wrapper ("Error occurred while executing op ...") around the real error
        if error is not None:
            lines.append(f"{event.step_key}: {error.message.strip()}")  # the message starts with the class
    return "\n".join(lines)


def partition_of(run: dg.DagsterRun) -> str | None:
    if run.tags.get("dagster/partition"):
        return run.tags["dagster/partition"]
    start, end = run.tags.get("dagster/asset_partition_range_start"), run.tags.get("dagster/asset_partition_range_end")
    return f"{start}...{end}" if start and end else None


def build_run_failure_alert_sensor() -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_alert_sensor",
        minimum_interval_seconds=FAILURE_POLL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,  # an alert that must be switched on is one that never fires
        description="Logs every failed run of this code location; posts it to CONTENT_PIPELINE_ALERT_WEBHOOK if set.",
    )
    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
        run = context.dagster_run
        failed = FailedRun(
            job=run.job_name,
            run_id=run.run_id,
            partition=partition_of(run),
            error=failure_text(context),
            will_retry=run.tags.get("dagster/will_retry") == "true",
        )
        payload = alert_payload(failed, secret_values(environment.variables()), alerts.dagster_url)
        where = f" (partition {failed.partition})" if failed.partition else ""
        context.log.error(f"run {failed.run_id} of {failed.job} failed{where}: {payload['error']}")
        url = (alerts.alert_webhook or "").strip()  # dg.EnvVar's value, resolved for this tick only
        if not url:
            return
        outcome = send_alert(url, payload)
        if outcome.ok:
            context.log.info(f"alert sent: {outcome.detail}")
        else:
            context.log.warning(f"alert not sent: {outcome.detail}")

    return run_failure_alert_sensor


def build_automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """Evaluates the assets' automation conditions (eager downstream of ingest) for today's partition."""
    return dg.AutomationConditionSensorDefinition(
        "eager_automation_sensor",
        target=dg.AssetSelection.all(),
        minimum_interval_seconds=AUTOMATION_POLL_S,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="When a stage of today's partition updates on its own, runs the stages below it.",
    )
