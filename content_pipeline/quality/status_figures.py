"""What a person reads of a partition's statuses at a glance: rows per status, the failures by reason, the ok share and
the failure rate (plain numbers, which the Dagster UI plots across partitions).

Everything here is bounded whatever the size of the day: top lists with the rest summed up, never one entry per row.
"""

from dataclasses import dataclass

import polars as pl

from content_pipeline.quality.checks import FAILED, attempted_and_failed
from content_pipeline.stages import Stage

OK_STATUS: dict[str, str] = {Stage.FILED_IMAGES: "filed"}  # the status that means success; "ok" for the others
NOT_TRIED = "skipped"  # an earlier stage stopped the record: its failure is counted there, not again here
MAX_STATUSES = 50  # rows of a status table; the rest are summed up in one row
MAX_FAILURE_GROUPS = 20  # (stage, status, reason) groups shown; the rest are summed up in one row
OTHERS = "(others)"


def ok_status(stage: str) -> str:
    return OK_STATUS.get(stage, "ok")


@dataclass(frozen=True)
class StatusCount:
    status: str
    records: int
    share: float  # of the partition's rows, 0 to 1


@dataclass(frozen=True)
class FailureGroup:
    """Records of one stage that stopped with the same status and reason (`reason` whole: shorten it to show it)."""

    stage: str
    status: str
    reason: str
    records: int


@dataclass(frozen=True)
class Failures:
    groups: list[FailureGroup]  # the most frequent first, at most MAX_FAILURE_GROUPS
    records: int  # every failed record, those of the groups left out included
    more_groups: int  # groups left out
    more_records: int  # their records


def status_counts(data: pl.DataFrame, top: int = MAX_STATUSES) -> list[StatusCount]:
    """Rows per status, most frequent first (null shown as '(none)'); past `top`, one OTHERS row sums the rest."""
    if "status" not in data.columns or data.is_empty():
        return []
    grouped = (
        data.select(pl.col("status").cast(pl.String).fill_null("(none)"))
        .group_by("status")
        .len()
        .sort(["len", "status"], descending=[True, False])
    )
    total = len(data)
    shown = [StatusCount(status, n, round(n / total, 4)) for status, n in grouped.head(top).iter_rows()]
    rest = int(grouped["len"].slice(top).sum())
    return shown + ([StatusCount(OTHERS, rest, round(rest / total, 4))] if rest else [])


def failure_groups(stage: str, data: pl.DataFrame, top: int = MAX_FAILURE_GROUPS) -> Failures:
    """The records `stage` did not take through (neither its success status nor skipped), by status and reason.

    In export, a status is `<stage>:<status>` of the stage that stopped the record: it is split into the two."""
    if "status" not in data.columns:
        return Failures([], 0, 0, 0)
    reason = pl.col("reason").cast(pl.String).fill_null("") if "reason" in data.columns else pl.lit("")
    status = pl.col("status").cast(pl.String).fill_null("(none)")
    failed = data.select(status, reason.alias("reason")).filter(~pl.col("status").is_in([ok_status(stage), NOT_TRIED]))
    if stage == Stage.EXPORT:
        parts = pl.col("status").str.split_exact(":", 1)
        failed = failed.with_columns(
            stage=parts.struct.field("field_0"), status=parts.struct.field("field_1").fill_null("")
        )
    else:
        failed = failed.with_columns(stage=pl.lit(str(stage)))
    grouped = (
        failed.group_by("stage", "status", "reason")
        .len()
        .sort(["len", "stage", "status", "reason"], descending=[True, False, False, False])
    )
    groups = [FailureGroup(*row) for row in grouped.head(top).select("stage", "status", "reason", "len").iter_rows()]
    rest = grouped.slice(top)
    return Failures(groups, len(failed), len(rest), int(rest["len"].sum()))


def ok_share(stage: str, data: pl.DataFrame) -> float | None:
    """The share of the partition's rows with the stage's success status (None for an empty partition)."""
    if "status" not in data.columns or data.is_empty():
        return None
    return round(int((data["status"] == ok_status(stage)).sum()) / len(data), 4)


def failure_rate(stage: str, data: pl.DataFrame) -> float | None:
    """Failed rows among the rows the stage tried (None when it tried none). Where a stage has the failure_rate check,
    as that check counts them; elsewhere every status but success and skipped is a failure."""
    if "status" not in data.columns:
        return None
    if stage in FAILED:
        attempted, failed = attempted_and_failed(stage, data)
        tried, failures = len(attempted), len(failed)
    else:
        tried = int((data["status"].fill_null("") != NOT_TRIED).sum())
        failures = tried - int((data["status"] == ok_status(stage)).sum())
    return round(failures / tried, 4) if tried else None
