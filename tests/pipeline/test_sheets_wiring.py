"""A team's Google Sheet as source and destination: the sensor sees new rows, a run ingests them and writes back."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.definitions import build_definitions
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.fakes.sheets_server import FakeSheetsServer, service_account_info
from tests.pipeline.sensor_ticks import sensor_tick

SPREADSHEET = "team-links"


@pytest.fixture
def sheet_settings(
    tmp_path: object, sheets_server: FakeSheetsServer, sample_site: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings with a spreadsheet of the sample site's links; the service-account key only in the environment."""
    urls = [url for url, _ in sample_urls(sample_site)][:4]
    rows: list[list[Any]] = [["url", "who"], *([url, "ana"] for url in urls), ["ftp://nope.example/x", "bo"]]
    sheets_server.add_spreadsheet(SPREADSHEET, "Team links", {"Links": rows})
    monkeypatch.setenv("CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON", json.dumps(service_account_info(sheets_server)))
    env = {
        "CONTENT_PIPELINE_HOME": f"{tmp_path}/home",
        "CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID": SPREADSHEET,
        "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": "set",
        "CONTENT_PIPELINE_SHEETS_ENDPOINT": sheets_server.base_url,
        "CONTENT_PIPELINE_SHEETS_INPUT": "Links",
    }
    return Settings.from_env(env).allowing("127.0.0.1")


def tick(settings: Settings, instance: dg.DagsterInstance, cursor: str | None) -> tuple[list[dg.RunRequest], str]:
    return sensor_tick(settings, instance, "sheet_rows_sensor", "sheets", cursor)


def test_new_rows_start_one_run_whose_results_are_written_back_and_a_rerun_updates_them(
    sheet_settings: Settings, sheets_server: FakeSheetsServer, instance: dg.DagsterInstance
) -> None:
    today = datetime.now(UTC).date().isoformat()
    [request], cursor = tick(sheet_settings, instance, None)
    assert request.partition_key == today and request.run_key and request.run_key.startswith(f"sheet:{today}:")
    assert tick(sheet_settings, instance, cursor)[0] == []  # nothing new: no second run

    assert run_partition(sheet_settings, today, instance).success
    links = sheets_server.values(SPREADSHEET, "Links")
    assert links[0] == ["url", "who", "added_on"] and all(row[2] == today for row in links[1:])
    ingest = PartitionStore(sheet_settings.warehouse).read("ingest", today)
    assert sorted(ingest["source"].unique()) == ["sheet"] and len(ingest) == 5

    header, *rows = sheets_server.values(SPREADSHEET, "results")
    by_url = {row[header.index("url")]: row for row in rows}
    assert len(rows) == 5 and all(row[header.index("record_id")] for row in rows)
    statuses = sorted(str(row[header.index("status")]) for row in rows)
    assert "ingest:unsupported_scheme" in statuses and statuses.count("ok") >= 2
    assert by_url[links[1][0]][header.index("added_on")] == today

    assert tick(sheet_settings, instance, cursor)[0] == []  # stamping today's date changed nothing that matters
    a_row_more: list[list[Any]] = [
        *links,
        [f"{links[1][0]}?page=2", "cy"],
    ]  # someone adds a row (the results sheet is kept)
    sheets_server.add_spreadsheet(SPREADSHEET, "Team links", {"Links": a_row_more, "results": [header, *rows]})
    [again], cursor = tick(sheet_settings, instance, cursor)
    assert again.partition_key == today and again.run_key != request.run_key

    assert run_partition(sheet_settings, today, instance).success
    header, *after = sheets_server.values(SPREADSHEET, "results")
    assert len(after) == 6  # the five rows updated in place, one new row
    assert [r[header.index("record_id")] for r in after[:5]] == [r[header.index("record_id")] for r in rows]
    secret = json.loads(os.environ["CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON"])["private_key"]
    for asset in ("ingest", "export", "sheet_results"):
        for record in instance.fetch_materializations(dg.AssetKey(asset), limit=10).records:
            assert secret[40:80] not in str(record.event_log_entry)
    [latest] = instance.fetch_materializations(dg.AssetKey("sheet_results"), limit=1).records
    materialization = latest.asset_materialization
    assert materialization is not None
    report = materialization.metadata["sheet_results"].value
    assert isinstance(report, dict) and (report["updated"], report["appended"]) == (5, 1)


DAY = "2026-11-24"
NO_STEP_RETRIES: dict[str, Any] = {"execution": {"config": {"retries": {"disabled": {}}}}}  # a failed step stays so


def pipeline_job_of_the_environment() -> dg.JobDefinition:
    """pipeline_job with the settings in the environment. Reconstructable, so that a test can run it with its own
    executor config (execute_in_process always retries a failed step) and re-execute it from a failure, as the UI
    does."""
    return build_definitions(Settings.from_env()).resolve_job_def("pipeline_job")


def materialized(result: dg.ExecuteInProcessResult | dg.JobExecutionResult) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events() if event.asset_key}


def failures(result: dg.ExecuteInProcessResult | dg.JobExecutionResult) -> dict[str, str]:
    """Per failed step, its error's message and those of the errors that caused it."""
    found = {}
    for event in result.all_events:
        if event.is_step_failure:
            error, messages = event.step_failure_data.error, []
            while error is not None:
                messages.append(error.message)
                error = error.cause
            found[str(event.step_key)] = " <- ".join(messages)
    return found


def test_a_sheets_quota_error_fails_only_sheet_results_and_a_retry_of_that_asset_alone_writes_the_sheet(
    tmp_path: Path,
    sheets_server: FakeSheetsServer,
    sample_site: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = [url for url, _ in sample_urls(sample_site)][:3]
    dated: list[list[Any]] = [["url", "date"], *([url, DAY] for url in urls)]  # dated rows: ingest only reads
    sheets_server.add_spreadsheet(SPREADSHEET, "Team links", {"Links": dated})
    env = {
        "CONTENT_PIPELINE_HOME": f"{tmp_path}/home",
        "CONTENT_PIPELINE_FETCH_ALLOW_PRIVATE": "127.0.0.1",
        "CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID": SPREADSHEET,
        "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": json.dumps(service_account_info(sheets_server)),
        "CONTENT_PIPELINE_SHEETS_ENDPOINT": sheets_server.base_url,
        "CONTENT_PIPELINE_SHEETS_INPUT": "Links",
        "CONTENT_PIPELINE_SHEETS_MAX_ATTEMPTS": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    job = dg.reconstructable(pipeline_job_of_the_environment)
    sheets_server.write_limit_per_minute = 0  # every write is refused: 429 RESOURCE_EXHAUSTED, the per-minute quota

    partition = {"dagster/partition": DAY}
    with dg.execute_job(job, instance, run_config=NO_STEP_RETRIES, tags=partition) as first:
        assert not first.success
        [(step, message)] = failures(first).items()
        assert step == "sheet_results" and "kept refusing" in message and "RESOURCE_EXHAUSTED" in message
        assert materialized(first) == {
            "ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files",
        }  # fmt: skip
        failed_run = first.run_id
    day_folder = settings.output / DAY
    assert all((day_folder / name).is_file() for name in ("records.csv", "records.parquet", "report.html"))
    assert "results" not in sheets_server.sheet_titles(SPREADSHEET)

    sheets_server.write_limit_per_minute = None  # the quota is back: re-executed from the failure, as in the UI
    from_failure = dg.ReexecutionOptions.from_failure(failed_run, instance)
    with dg.execute_job(job, instance, tags=partition, reexecution_options=from_failure) as again:
        assert again.success and materialized(again) == {"sheet_results"}
    header, *rows = sheets_server.values(SPREADSHEET, "results")
    exported = PartitionStore(settings.warehouse).read("export", DAY)
    assert sorted(str(row[header.index("record_id")]) for row in rows) == sorted(exported["record_id"].to_list())

    sheets_server.always_fail(403)  # the sheet is no longer shared: waiting would not help, so no step retry
    refused = pipeline_job_of_the_environment().execute_in_process(
        partition_key=DAY, instance=instance, raise_on_error=False, asset_selection=[dg.AssetKey("sheet_results")]
    )
    assert not refused.success and "refused access" in failures(refused)["sheet_results"]
    assert not [event for event in refused.all_events if event.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]


def test_without_a_spreadsheet_sheet_results_materializes_saying_sheets_are_off(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    assert run_partition(settings, DAY, instance).success  # an empty inbox: every stage stores an empty partition
    [latest] = instance.fetch_materializations(dg.AssetKey("sheet_results"), limit=1).records
    assert latest.asset_materialization is not None
    assert "no spreadsheet is configured" in str(latest.asset_materialization.metadata["sheets"].value)
