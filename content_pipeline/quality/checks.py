"""Quality checks of one stage's partition: ids unique, statuses known, failure rate bounded, categories inside the
taxonomy, schema unchanged, rows that need a rerun. Each check gives a CheckOutcome a person can read.

The checks of what a stage wrote or saw besides its rows (every image filed, the day's files, the Sheet's rows) are
in output_checks.py; their names and descriptions are here with the others."""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from content_pipeline.display import NONE_LABEL, shorten, value_counts
from content_pipeline.export.image_items import FILING_COLUMNS
from content_pipeline.export.records import SCHEMAS, build_records
from content_pipeline.quality.bounds import DEFAULT_MAX_FAILURE_RATE
from content_pipeline.schemas import FILED_IMAGES_SCHEMA
from content_pipeline.stages import RECORD_STAGES, Stage
from content_pipeline.status import KNOWN_STATUSES, CategorizeStatus, ClassifyStatus, FetchStatus

MAX_EXAMPLES = 5  # values named in a description or in metadata
TOP_REASONS = 3
REASON_CHARS = 80

UNIQUE_RECORD_ID = "unique_record_id"
KNOWN_STATUSES_CHECK = "known_statuses"
FAILURE_RATE = "failure_rate"
CATEGORIES_IN_TAXONOMY = "categories_in_taxonomy"
SCHEMA_UNCHANGED = "schema_unchanged"
NEEDS_RERUN = "needs_rerun"
EVERY_IMAGE_FILED = "every_image_filed"  # these three: output_checks.py
FILES_HOLD_EVERY_ROW = "files_hold_every_row"
EVERY_RECORD_WRITTEN = "every_record_written"
OUTPUT_CHECKS = frozenset({EVERY_IMAGE_FILED, FILES_HOLD_EVERY_ROW, EVERY_RECORD_WRITTEN})  # not of the rows alone

COMMON = (UNIQUE_RECORD_ID, KNOWN_STATUSES_CHECK, SCHEMA_UNCHANGED)
STAGE_CHECKS: dict[str, tuple[str, ...]] = {
    Stage.INGEST: COMMON,
    Stage.FETCH: (*COMMON, FAILURE_RATE),
    Stage.CLASSIFY: (*COMMON, FAILURE_RATE),
    Stage.CATEGORIZE: (*COMMON, FAILURE_RATE, CATEGORIES_IN_TAXONOMY, NEEDS_RERUN),
    Stage.FILED_IMAGES: (*COMMON, EVERY_IMAGE_FILED),
    Stage.EXPORT: COMMON,
    Stage.EXPORT_FILES: (FILES_HOLD_EVERY_ROW,),
    Stage.SHEET_RESULTS: (EVERY_RECORD_WRITTEN,),
}
NOT_BLOCKING = frozenset({NEEDS_RERUN})  # a warning: the partition may flow on
CHECK_DESCRIPTIONS = {
    UNIQUE_RECORD_ID: "Every row has a record_id and no two rows share one.",
    KNOWN_STATUSES_CHECK: "Every status is one the stage can produce (export: ok or <stage>:<status>).",
    SCHEMA_UNCHANGED: "The columns and their types are the stage's schema.",
    FAILURE_RATE: "The share of attempted rows that failed stays within the configured bound.",
    CATEGORIES_IN_TAXONOMY: "Every category is a name of the taxonomy.",
    NEEDS_RERUN: "No row was left unasked because the quota or the cost budget ran out (else: rerun the partition).",
    EVERY_IMAGE_FILED: "Every image of the day (from an image folder, or classified as one) has one row saying where "
    "it is now, and nothing else has one.",
    FILES_HOLD_EVERY_ROW: "records.csv and records.parquet hold as many rows as the export partition.",
    EVERY_RECORD_WRITTEN: "Every record of the export partition is a row of the results worksheet (passes when "
    "Sheets write-back is off).",
}

# failure_rate: rows with these statuses were not tried by the stage and do not count
NOT_ATTEMPTED: dict[str, frozenset[str]] = {
    Stage.FETCH: frozenset({FetchStatus.SKIPPED}),
    Stage.CLASSIFY: frozenset({ClassifyStatus.SKIPPED}),
    Stage.CATEGORIZE: frozenset(
        {
            CategorizeStatus.SKIPPED,
            CategorizeStatus.NO_TEXT,
            CategorizeStatus.QUOTA_EXHAUSTED,
            CategorizeStatus.BUDGET_REACHED,
        }
    ),
}
# ...and among the attempted rows, these failed (fetch: everything but ok)
FAILED: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    Stage.FETCH: lambda status: status.is_null() | (status != FetchStatus.OK.value),
    Stage.CLASSIFY: lambda status: status == ClassifyStatus.ERROR.value,
    Stage.CATEGORIZE: lambda status: status == CategorizeStatus.ERROR.value,
}
RERUN_STATUSES = (CategorizeStatus.QUOTA_EXHAUSTED.value, CategorizeStatus.BUDGET_REACHED.value)


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    blocking: bool  # a failed blocking check must stop downstream stages
    description: str  # what a user reads
    metadata: dict[str, object] = field(default_factory=dict)  # small: counts, at most 5 examples, the bound used


def check_names(stage: str) -> tuple[str, ...]:
    """The checks that `stage_checks` runs for `stage`, in order; ValueError for an unknown stage."""
    if stage not in STAGE_CHECKS:
        raise ValueError(f"no checks for stage {stage!r}; known stages: {', '.join(STAGE_CHECKS)}")
    return STAGE_CHECKS[stage]


def is_blocking(name: str) -> bool:
    return name not in NOT_BLOCKING


@cache
def _export_schema() -> dict[str, pl.DataType]:
    empty = [pl.DataFrame(schema=schema) for schema in SCHEMAS.values()]
    records = build_records(*empty)
    return dict(records.hstack(pl.DataFrame(schema=FILING_COLUMNS)).schema)


def expected_schema(stage: str) -> dict[str, pl.DataType]:
    """The columns and types of a stage's partition; export's are what build_records and filing produce."""
    check_names(stage)
    if stage == Stage.EXPORT:
        return dict(_export_schema())
    return dict(FILED_IMAGES_SCHEMA) if stage == Stage.FILED_IMAGES else dict(SCHEMAS[stage])


def stage_checks(
    stage: str,
    data: pl.DataFrame,
    *,
    max_failure_rate: float = DEFAULT_MAX_FAILURE_RATE,
    taxonomy_names: Collection[str] | None = None,
) -> list[CheckOutcome]:
    """Every check of `stage` that reads only its partition's rows, in the order of `check_names(stage)` (the stage
    computes the others, output_checks.py, from what it wrote or saw besides)."""
    names = check_names(stage)
    if not 0.0 <= max_failure_rate <= 1.0:
        raise ValueError(f"max_failure_rate must be between 0 and 1, got {max_failure_rate}")
    if CATEGORIES_IN_TAXONOMY in names and taxonomy_names is None:
        raise ValueError(f"the {stage} checks need taxonomy_names to check categories against")
    runners: dict[str, Callable[[], CheckOutcome]] = {
        UNIQUE_RECORD_ID: lambda: unique_record_id(data),
        KNOWN_STATUSES_CHECK: lambda: known_statuses(stage, data),
        SCHEMA_UNCHANGED: lambda: schema_unchanged(stage, data),
        FAILURE_RATE: lambda: failure_rate(stage, data, max_failure_rate),
        CATEGORIES_IN_TAXONOMY: lambda: categories_in_taxonomy(data, taxonomy_names or ()),
        NEEDS_RERUN: lambda: needs_rerun(data),
    }
    return [runners[name]() for name in names if name not in OUTPUT_CHECKS]


def _outcome(name: str, passed: bool, description: str, **metadata: object) -> CheckOutcome:
    return CheckOutcome(name, passed, is_blocking(name), description, metadata)


def _missing(name: str, column: str) -> CheckOutcome:
    return _outcome(name, False, f"the partition has no {column!r} column", missing_column=column)


def _label(value: str | None) -> str:
    return NONE_LABEL if value is None else value


def _listed(counts: Sequence[tuple[str | None, int]]) -> str:
    """`a (2), b (1)`: at most MAX_EXAMPLES, then how many more."""
    shown = ", ".join(f"{_label(value)} ({n})" for value, n in counts[:MAX_EXAMPLES])
    more = len(counts) - MAX_EXAMPLES
    return shown + (f" and {more} more" if more > 0 else "")


def _examples(counts: Sequence[tuple[str | None, int]]) -> dict[str, int]:
    return {_label(value): n for value, n in counts[:MAX_EXAMPLES]}


def unique_record_id(data: pl.DataFrame) -> CheckOutcome:
    if "record_id" not in data.columns:
        return _missing(UNIQUE_RECORD_ID, "record_id")
    ids = data["record_id"]
    nulls = ids.null_count()
    repeated = value_counts(ids.drop_nulls(), at_least=2)
    problems = []
    if repeated:
        rows = sum(n for _, n in repeated)
        problems.append(f"{rows} rows share {len(repeated)} record_id(s): {_listed(repeated)}")
    if nulls:
        problems.append(f"{nulls} row(s) have no record_id")
    described = "; ".join(problems) or f"all {len(data)} record_ids are unique"
    return _outcome(
        UNIQUE_RECORD_ID,
        not problems,
        described,
        duplicated_ids=len(repeated),
        examples=_examples(repeated),
        null_ids=nulls,
    )


def _is_known(stage: str, status: str | None) -> bool:
    if status is None:
        return False
    if stage != Stage.EXPORT:
        return status in KNOWN_STATUSES[stage]
    if status == "ok":
        return True
    where, _, what = status.partition(":")
    return where in (*RECORD_STAGES, Stage.EXPORT) and what != "ok" and what in KNOWN_STATUSES[where]


def known_statuses(stage: str, data: pl.DataFrame) -> CheckOutcome:
    if "status" not in data.columns:
        return _missing(KNOWN_STATUSES_CHECK, "status")
    unknown = [(value, n) for value, n in value_counts(data["status"]) if not _is_known(stage, value)]
    if not unknown:
        return _outcome(KNOWN_STATUSES_CHECK, True, f"all {len(data)} statuses are known", unknown_rows=0)
    rows = sum(n for _, n in unknown)
    described = f"{rows} row(s) have a status {stage} does not know: {_listed(unknown)}"
    return _outcome(KNOWN_STATUSES_CHECK, False, described, unknown_rows=rows, examples=_examples(unknown))


def _same_type(actual: pl.DataType, expected: pl.DataType) -> bool:
    """Equal types; a UTC timestamp read back through DuckDB says Etc/UTC, which is the same zone."""
    if isinstance(actual, pl.Datetime) and isinstance(expected, pl.Datetime) and actual.time_zone == "Etc/UTC":
        return actual.time_unit == expected.time_unit and expected.time_zone in ("UTC", "Etc/UTC")
    return actual == expected


def schema_unchanged(stage: str, data: pl.DataFrame) -> CheckOutcome:
    expected, actual = expected_schema(stage), dict(data.schema)
    missing = [name for name in expected if name not in actual]
    added = [name for name in actual if name not in expected]
    changed = [
        f"{name}: {actual[name]} instead of {expected[name]}"
        for name in expected
        if name in actual and not _same_type(actual[name], expected[name])
    ]
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing[:MAX_EXAMPLES])}")
    if added:
        problems.append(f"unexpected column(s): {', '.join(added[:MAX_EXAMPLES])}")
    if changed:
        problems.append(f"changed type(s): {'; '.join(changed[:MAX_EXAMPLES])}")
    described = "; ".join(problems) or f"the {len(expected)} columns and their types are as expected"
    metadata = {
        "missing": missing[:MAX_EXAMPLES],
        "unexpected": added[:MAX_EXAMPLES],
        "changed": changed[:MAX_EXAMPLES],
    }
    return _outcome(SCHEMA_UNCHANGED, not problems, described, **metadata)


def _top_reasons(failed: pl.DataFrame) -> list[tuple[str, int, str]]:
    """(status, rows, most frequent reason) of the most frequent failing statuses."""
    reasons = failed["reason"] if "reason" in failed.columns else pl.Series("reason", [None] * len(failed))
    frame = pl.DataFrame({"status": failed["status"], "reason": reasons.cast(pl.String)})
    top = []
    for status, n in value_counts(frame["status"])[:TOP_REASONS]:
        rows = frame.filter(pl.col("status").is_null() if status is None else pl.col("status") == status)
        reason = next((value for value, _ in value_counts(rows["reason"].drop_nulls()) if value and value.strip()), "")
        top.append((_label(status), n, shorten(reason, REASON_CHARS)))
    return top


def attempted_and_failed(stage: str, data: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows `stage` tried (not NOT_ATTEMPTED) and, among them, those that failed: what `failure_rate` measures."""
    status = pl.col("status")
    attempted = data.filter(status.is_null() | ~status.is_in([str(s) for s in NOT_ATTEMPTED[stage]]))
    return attempted, attempted.filter(FAILED[stage](status))


def failure_rate(stage: str, data: pl.DataFrame, max_failure_rate: float) -> CheckOutcome:
    if "status" not in data.columns:
        return _missing(FAILURE_RATE, "status")
    attempted, failed = attempted_and_failed(stage, data)
    bound = f"{max_failure_rate:.1%}"
    if attempted.is_empty():
        described = f"no row was attempted ({len(data)} not tried): nothing to measure against the bound of {bound}"
        return _outcome(FAILURE_RATE, True, described, attempted=0, failed=0, max_failure_rate=max_failure_rate)
    rate = len(failed) / len(attempted)
    passed = rate <= max_failure_rate
    top = _top_reasons(failed)
    described = (
        f"{len(failed)} of {len(attempted)} attempted rows failed ({rate:.1%}), "
        + (f"within the bound of {bound}" if passed else f"above the bound of {bound}")
        + (
            "; top reasons: " + ", ".join(f"{s} ({n}" + (f", e.g. {r!r})" if r else ")") for s, n, r in top)
            if top
            else ""
        )
    )
    return _outcome(
        FAILURE_RATE,
        passed,
        described,
        attempted=len(attempted),
        failed=len(failed),
        failure_rate=round(rate, 4),
        max_failure_rate=max_failure_rate,
        top_reasons={status: {"rows": n, "example": reason} for status, n, reason in top},
    )


def categories_in_taxonomy(data: pl.DataFrame, taxonomy_names: Collection[str]) -> CheckOutcome:
    if "category" not in data.columns:
        return _missing(CATEGORIES_IN_TAXONOMY, "category")
    names = set(taxonomy_names)
    outside = [(value, n) for value, n in value_counts(data["category"].drop_nulls()) if value not in names]
    if not outside:
        categorized = data["category"].is_not_null().sum()
        return _outcome(
            CATEGORIES_IN_TAXONOMY, True, f"all {categorized} categories are taxonomy names", outside_rows=0
        )
    rows = sum(n for _, n in outside)
    described = f"{rows} row(s) have a category outside the taxonomy: {_listed(outside)}"
    return _outcome(CATEGORIES_IN_TAXONOMY, False, described, outside_rows=rows, examples=_examples(outside))


def needs_rerun(data: pl.DataFrame) -> CheckOutcome:
    if "status" not in data.columns:
        return _missing(NEEDS_RERUN, "status")
    waiting = [(value, n) for value, n in value_counts(data["status"]) if value in RERUN_STATUSES]
    rows = sum(n for _, n in waiting)
    if not rows:
        return _outcome(NEEDS_RERUN, True, "no row is waiting for a rerun", rows=0)
    described = (
        f"{rows} row(s) were not categorized: {_listed(waiting)}; rerun this partition when the quota resets "
        "(quota_exhausted) or with a larger cost budget (budget_reached)"
    )
    return _outcome(NEEDS_RERUN, False, described, rows=rows, by_status=_examples(waiting))
