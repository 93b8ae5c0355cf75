"""The one daily partitions definition shared by every stage.

Its first day is a setting (CONTENT_PIPELINE_START_DATE, read in pipeline_defs/settings.py): the stages are declared
with `daily_partitions` and the Definitions give them `daily_partitions_from(settings.start_date)` instead.
"""

from datetime import date

import dagster as dg

DECLARED_START = date(2024, 1, 1)  # only until the Definitions set the configured start


def daily_partitions_from(start: date) -> dg.DailyPartitionsDefinition:
    """Days from `start` to today. end_offset=1: today's partition exists during the day, so the inbox of today can
    run before the day closes."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), end_offset=1)


daily_partitions = daily_partitions_from(DECLARED_START)
