"""Run the real `pipeline_job` on a day of hostile URLs and judge what came out, for the fault test and the bench."""

from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import polars as pl

from content_pipeline.warehouse.partition_store import MissingPartitionError, PartitionStore
from pipeline_defs.definitions import build_definitions
from pipeline_defs.runner import JOB_NAME
from pipeline_defs.settings import Settings
from resources.fetcher import FetcherResource
from tests.faults.hostile_catalog import ExpectedUrl, inbox_csv

STAGES = ("ingest", "fetch", "classify", "categorize", "export")
FETCH_COLUMNS = ["record_id", "url", "status", "reason", "http_status", "charset", "charset_source", "cache"]


def drop_day(settings: Settings, day: str, catalog: Sequence[ExpectedUrl]) -> None:
    """The day's URLs as one CSV file in the inbox, as a user would drop it."""
    settings.inbox.mkdir(parents=True, exist_ok=True)
    (settings.inbox / f"hostile-{day}.csv").write_text(inbox_csv(catalog), encoding="utf-8")


def fetcher_for(settings: Settings, **limits: Any) -> FetcherResource:
    """The fetcher the Definitions would build from `settings`, with some limits changed (timeouts, politeness)."""
    return settings.changed("fetcher", **limits).resources.fetcher


def run_day(
    settings: Settings, day: str, instance: dg.DagsterInstance, fetcher: FetcherResource
) -> dg.ExecuteInProcessResult:
    """`pipeline_job` for one day, in process, with every resource from `settings` but the given fetcher."""
    job = build_definitions(settings).resolve_job_def(JOB_NAME)
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    return job.execute_in_process(
        run_config=run_config,
        partition_key=day,
        instance=instance,
        raise_on_error=False,
        resources={"fetcher": fetcher},
    )


def run_failure(result: dg.ExecuteInProcessResult) -> str:
    """Why a run failed, in a line per failed step or check ("" when it succeeded)."""
    if result.success:
        return ""
    lines = [f"step {e.step_key}: {e.event_specific_data}"[:600] for e in result.all_events if e.is_step_failure]
    for event in result.get_asset_check_evaluations():
        if not event.passed:
            lines.append(f"check {event.asset_key.to_user_string()}.{event.check_name} failed: {event.description}")
    return "\n".join(lines) or "the run failed"


def read_stages(settings: Settings, day: str) -> dict[str, pl.DataFrame]:
    """Every stage's partition of the day (fetch without its bodies); a stage that did not run is left out."""
    store, stages = PartitionStore(settings.warehouse_root), {}
    for stage in STAGES:
        with suppress(MissingPartitionError):
            stages[stage] = store.read(stage, day, FETCH_COLUMNS if stage == "fetch" else None)
    return stages


@dataclass(frozen=True)
class Mismatch:
    url: str
    behaviour: str
    what: str  # status, fetch_status, charset, charset_source, text
    expected: str
    got: str
    reason: str

    def __str__(self) -> str:
        return f"{self.behaviour}: {self.what} {self.got!r}, expected {self.expected!r} ({self.url}; {self.reason})"


@dataclass
class DayVerdict:
    """What a user checks after the day: every URL came out once, with the status its fault deserves."""

    rows_in: int
    rows_out: dict[str, int]  # by stage
    lost: list[str] = field(default_factory=list)  # catalog URLs without an export row
    duplicated: dict[str, list[str]] = field(default_factory=dict)  # stage -> record ids seen more than once
    expected_statuses: int = 0  # export rows whose status is the expected one
    mismatches: list[Mismatch] = field(default_factory=list)  # every expectation that failed, statuses first

    @property
    def expected_share(self) -> float:
        return self.expected_statuses / self.rows_in if self.rows_in else 0.0

    def describe_mismatches(self, limit: int = 60) -> str:
        counts = Counter(f"{m.behaviour}: {m.what} {m.got!r} instead of {m.expected!r}" for m in self.mismatches)
        summary = [f"{n} x {what}" for what, n in counts.most_common()]
        examples = [str(m) for m in self.mismatches[:limit]]
        return "\n".join(["mismatches by kind:", *summary, "examples:", *examples])


def judge_day(catalog: Sequence[ExpectedUrl], stages: dict[str, pl.DataFrame]) -> DayVerdict:
    """Compare the stored day with the catalog's expectations."""
    verdict = DayVerdict(len(catalog), {stage: len(frame) for stage, frame in stages.items()})
    for stage, frame in stages.items():
        counts = Counter(frame["record_id"].to_list())
        if repeated := sorted(record_id for record_id, n in counts.items() if n > 1):
            verdict.duplicated[stage] = repeated
    export = stages.get("export")
    if export is None:
        verdict.lost = [e.url for e in catalog]
        return verdict
    fetch = stages.get("fetch", pl.DataFrame(schema={c: pl.String() for c in FETCH_COLUMNS}))
    by_url = {row["input_url"]: row for row in export.to_dicts()}
    fetched = {row["record_id"]: row for row in fetch.to_dicts()}
    for expected in catalog:
        row = by_url.get(expected.url)
        if row is None:
            verdict.lost.append(expected.url)
            continue
        verdict.expected_statuses += row["status"] == expected.status
        verdict.mismatches += mismatches(expected, row, fetched.get(row["record_id"], {}))
    verdict.mismatches.sort(key=lambda m: (m.what != "status", m.behaviour))
    return verdict


def mismatches(expected: ExpectedUrl, row: dict[str, Any], fetched: dict[str, Any]) -> list[Mismatch]:
    b, found = expected.behaviour, []

    def check(what: str, want: str | None, got: object, holds: bool | None = None) -> None:
        if want is not None and not (got == want if holds is None else holds):
            found.append(Mismatch(expected.url, b.name, what, want, str(got), row["reason"] or ""))

    check("status", b.status, row["status"])
    check("fetch_status", b.fetch_status, fetched.get("status"))
    check("charset", b.charset, fetched.get("charset"))
    source = str(fetched.get("charset_source"))  # "header", or "header, 1 invalid byte sequence replaced"...
    check(
        "charset_source", b.charset_source, source, b.charset_source is not None and source.startswith(b.charset_source)
    )
    text = row.get("text") or ""
    check("text", b.text_contains, text[:100], b.text_contains is not None and b.text_contains in text)
    return found
