"""The daily close: shortly after midnight, run the day that just ended."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from assets.partitions import daily_partitions
from pipeline_defs.jobs import pipeline_job

CLOSE_CRON = "5 0 * * *"  # 00:05 in the configured time zone: five minutes' grace for late files


def day_to_close(scheduled: datetime) -> str:
    """The newest partition whose UTC day has ended by `scheduled`.

    Partitions are UTC days. In UTC and west of it that is the previous local day; east of UTC, local midnight
    comes before the UTC day ends, so the close takes the day before that rather than a day still taking files.
    """
    return (scheduled.astimezone(UTC).date() - timedelta(days=1)).isoformat()


def build_daily_close_schedule(
    timezone: str = "UTC", partitions: dg.DailyPartitionsDefinition = daily_partitions
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_close_schedule",
        cron_schedule=CLOSE_CRON,
        execution_timezone=timezone,
        job=pipeline_job,
        default_status=dg.DefaultScheduleStatus.STOPPED,  # turned on in the UI or `dagster schedule start`
        description=f"At 00:05 ({timezone}) runs pipeline_job for the UTC day that has just ended, once per day.",
    )
    def daily_close_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        scheduled = context.scheduled_execution_time or datetime.now(UTC)
        day = day_to_close(scheduled)
        if not partitions.has_partition_key(day):
            return dg.SkipReason(f"{day} is not a partition (they start on {partitions.start:%Y-%m-%d})")
        return dg.RunRequest(run_key=f"close:{day}", partition_key=day, tags={"source": "schedule"})

    return daily_close_schedule
