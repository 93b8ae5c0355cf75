"""The one daily partitions definition shared by every stage."""

import dagster as dg

# end_offset=1: today's partition exists during the day, so the inbox of today can run before the day closes.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)
