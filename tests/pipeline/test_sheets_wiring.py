"""A team's Google Sheet as source and destination: the sensor sees new rows, a run ingests them and writes back."""

import json
import os
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import pytest

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
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
    for asset in ("ingest", "export"):
        for record in instance.fetch_materializations(dg.AssetKey(asset), limit=10).records:
            assert secret[40:80] not in str(record.event_log_entry)
    [latest] = instance.fetch_materializations(dg.AssetKey("export"), limit=1).records
    materialization = latest.asset_materialization
    assert materialization is not None
    report = materialization.metadata["sheet_results"].value
    assert isinstance(report, dict) and (report["updated"], report["appended"]) == (5, 1)
