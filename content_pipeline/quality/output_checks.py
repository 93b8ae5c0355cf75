"""Checks of what a stage wrote or saw besides its partition's rows: every image of the day filed, the day's files
holding every row, every record written to the Sheet. Each gives a CheckOutcome a person can read."""

from collections.abc import Collection, Mapping

import polars as pl

from content_pipeline.quality.checks import (
    EVERY_IMAGE_FILED,
    EVERY_RECORD_WRITTEN,
    FILES_HOLD_EVERY_ROW,
    MAX_EXAMPLES,
    CheckOutcome,
    is_blocking,
)


def _outcome(name: str, passed: bool, description: str, **metadata: object) -> CheckOutcome:
    return CheckOutcome(name, passed, is_blocking(name), description, metadata)


def every_image_filed(filed: pl.DataFrame, images: Collection[str]) -> CheckOutcome:
    """`filed` (filed_images rows) has a status for each of `images` (the ids that want filing) and for no other."""
    with_status = set(filed.filter(pl.col("status").is_not_null())["record_id"].to_list())
    missing = sorted(set(images) - with_status)
    others = sorted(set(filed["record_id"].drop_nulls().to_list()) - set(images))
    problems = []
    if missing:
        problems.append(f"{len(missing)} image(s) have no filing status, e.g. {', '.join(missing[:MAX_EXAMPLES])}")
    if others:
        problems.append(f"{len(others)} row(s) are not images of the day, e.g. {', '.join(others[:MAX_EXAMPLES])}")
    described = "; ".join(problems) or f"all {len(images)} image(s) have a filing status"
    return _outcome(
        EVERY_IMAGE_FILED,
        not problems,
        described,
        images=len(images),
        missing=len(missing),
        not_images=len(others),
        examples=[*missing[:MAX_EXAMPLES], *others[:MAX_EXAMPLES]],
    )


def files_hold_every_row(partition_rows: int, file_rows: Mapping[str, int]) -> CheckOutcome:
    """Each of the day's files (format -> rows counted in it) holds the export partition's `partition_rows`."""
    wrong = {fmt: rows for fmt, rows in file_rows.items() if rows != partition_rows}
    if wrong:
        shown = ", ".join(f"records.{fmt} holds {rows}" for fmt, rows in wrong.items())
        described = f"the export partition has {partition_rows} rows but {shown}"
    else:
        described = f"records.{' and records.'.join(file_rows)} hold the partition's {partition_rows} rows"
    return _outcome(
        FILES_HOLD_EVERY_ROW, not wrong, described, partition_rows=partition_rows, file_rows=dict(file_rows)
    )


def every_record_written(records: int, updated: int, appended: int) -> CheckOutcome:
    """The results worksheet got a row (updated in place or appended) for each of the partition's `records`."""
    written = updated + appended
    if written == records:
        described = f"all {records} records are rows of the results worksheet ({updated} updated, {appended} new)"
    else:
        described = f"{written} rows were written ({updated} updated, {appended} new) for {records} records"
    return _outcome(
        EVERY_RECORD_WRITTEN, written == records, described, records=records, updated=updated, appended=appended
    )


def sheets_off(reason: str) -> CheckOutcome:
    """`every_record_written` when nothing is written to a Sheet: passed, saying why."""
    return _outcome(EVERY_RECORD_WRITTEN, True, f"nothing to write: {reason}", records=0, updated=0, appended=0)
