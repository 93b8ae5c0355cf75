"""The checks a command that runs the graph makes before it loads Dagster: the settings, the days asked for (within
the partitions) and CONTENT_PIPELINE_PROGRESS. No heavy import here, so a refused command ends in ~0.1-0.2 s."""

import argparse
from datetime import date

from pipeline_defs import environment
from pipeline_defs.cli_parser import today
from pipeline_defs.setting_values import SettingValues
from pipeline_defs.user_errors import UserError
from pipeline_defs.variables import PROGRESS, PROGRESS_MODES, START_DATE


def check_days(start: date, *days: str) -> None:
    """UserError when a day lies outside the partitions: before their first day (`start`) or after today."""
    last = today()
    for day in days:
        if day < start.isoformat():
            raise UserError(
                f"{day} is before the first day of the partitions, {start} ({START_DATE}): "
                f"set {START_DATE}={day} (or earlier) to run it"
            )
        if day > last:
            raise UserError(f"{day} is after today ({last}, UTC): the newest partition is today's")


def check_progress() -> None:
    """UserError when CONTENT_PIPELINE_PROGRESS names no mode (the display itself would quietly pick one)."""
    value = environment.variable(PROGRESS).strip()
    if value and value.lower() not in PROGRESS_MODES:
        raise UserError(
            f"{PROGRESS}={value!r}: expected one of {', '.join(PROGRESS_MODES)}, or unset (bars on a terminal)"
        )


def check_command(args: argparse.Namespace) -> None:
    """The settings, the days of a `demo`, `run` or `backfill` command and the progress setting, before the graph is
    loaded: SettingsRefusedError names every variable the settings refuse; UserError for a day or the progress mode."""
    check_progress()
    start = SettingValues.from_env().start_date
    days = [getattr(args, name) for name in ("date", "start", "end") if getattr(args, name, None)]
    check_days(start, *days)
