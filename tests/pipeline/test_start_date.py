"""The partitions start on CONTENT_PIPELINE_START_DATE (by default the first day of last month); a day before it
is refused in one line, and a bad value is one line naming the variable."""

from datetime import date
from pathlib import Path

from pipeline_defs.definitions import build_definitions
from pipeline_defs.partition_start import default_start
from pipeline_defs.settings import Settings
from tests.pipeline.cli_process import content_pipeline, one_line_error


def test_the_default_start_is_the_first_day_of_last_month() -> None:
    assert default_start(date(2026, 12, 3)) == date(2026, 11, 1)
    assert default_start(date(2027, 1, 31)) == date(2026, 12, 1)


def test_the_partitions_start_on_the_configured_day(tmp_path: Path) -> None:
    settings = Settings.from_env({"CONTENT_PIPELINE_HOME": str(tmp_path), "CONTENT_PIPELINE_START_DATE": "2026-10-01"})
    partitions = build_definitions(settings).resolve_job_def("pipeline_job").partitions_def
    assert partitions is not None and partitions.get_partition_keys()[0] == "2026-10-01"
    default = Settings.from_env({"CONTENT_PIPELINE_HOME": str(tmp_path)})
    assert default.start_date == default_start() and default.sources["start_date"].origin == "default"


def test_a_day_before_the_start_is_refused_in_one_line_saying_which_variable_to_set(tmp_path: Path) -> None:
    out = content_pipeline(tmp_path / "home", "run", "--date", "2025-06-01", CONTENT_PIPELINE_START_DATE="2026-01-01")
    error = one_line_error(out)
    assert "2025-06-01 is before the first day of the partitions, 2026-01-01" in error
    assert "CONTENT_PIPELINE_START_DATE=2025-06-01" in error
    backfill = content_pipeline(
        tmp_path / "home",
        "backfill",
        "--from",
        "2025-12-30",
        "--to",
        "2026-01-02",
        CONTENT_PIPELINE_START_DATE="2026-01-01",
    )
    assert "2025-12-30 is before the first day" in one_line_error(backfill)


def test_a_bad_start_date_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    error = one_line_error(content_pipeline(tmp_path / "home", "config", CONTENT_PIPELINE_START_DATE="2026-13-01"))
    assert "CONTENT_PIPELINE_START_DATE='2026-13-01': expected a day written YYYY-MM-DD" in error
    shown = content_pipeline(tmp_path / "home", "config", CONTENT_PIPELINE_START_DATE="2026-10-01")
    assert ["start_date", "2026-10-01", "environment", "CONTENT_PIPELINE_START_DATE"] in [
        line.split() for line in shown.stdout.splitlines()
    ]
