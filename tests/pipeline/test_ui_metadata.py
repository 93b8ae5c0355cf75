"""What a person sees of a day in the Dagster UI, on real materializations of the sample site's day: tables of
statuses and failures, the export's overview, numbers the UI plots, column descriptions, and the report's path."""

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.pipeline.test_whole_graph import DAY, drop_inputs

RECORD_PARTITIONS = ("ingest", "fetch", "classify", "categorize", "filed_images", "export")
PLOTTED = ("ok_share", "failure_rate", "rows_per_s")  # plain numbers: the UI plots them across partitions


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("ui-metadata") / "home"
    return Settings.from_env({"CONTENT_PIPELINE_HOME": str(home)}).allowing("127.0.0.1")


@pytest.fixture(scope="module")
def shown(settings: Settings, sample_site: str) -> dict[str, dict[str, dg.MetadataValue]]:
    """The latest materialization's metadata of every asset after one run of the day (one run for the module)."""
    drop_inputs(settings.inbox, sample_site)
    metadata = {}
    with dg.instance_for_test() as instance:
        assert run_partition(settings, DAY, instance).success
        for asset in (*RECORD_PARTITIONS, "export_files"):
            event = instance.get_latest_materialization_event(dg.AssetKey(asset))
            assert event is not None and event.asset_materialization is not None
            metadata[asset] = dict(event.asset_materialization.metadata)
    return metadata


def table_rows(value: dg.MetadataValue) -> list[dict[str, object]]:
    assert isinstance(value, dg.TableMetadataValue)
    return [dict(record.data) for record in value.records]


def test_every_stage_shows_its_statuses_and_failures_as_tables_and_plots_its_shares(
    shown: dict[str, dict[str, dg.MetadataValue]], settings: Settings
) -> None:
    store = PartitionStore(settings.warehouse)
    for asset in RECORD_PARTITIONS:
        stored = store.read(asset, DAY, ["status"])
        counted = {row["status"]: row["records"] for row in table_rows(shown[asset]["status_counts"])}
        assert counted == dict(stored.group_by("status").len().iter_rows()), asset
        for key in PLOTTED:
            assert isinstance(shown[asset][key], dg.FloatMetadataValue), (asset, key)
        assert isinstance(shown[asset]["dagster/row_count"], dg.IntMetadataValue)
    fetch_failures = table_rows(shown["fetch"]["failures"])
    assert fetch_failures == [{"stage": "fetch", "status": "http_error", "reason": "HTTP 404 Not Found", "records": 1}]
    assert shown["fetch"]["failure_rate"].value == round(1 / 12, 4)  # as the failure_rate check: 1 of 12 tried
    exported = store.read("export", DAY, ["status"])
    ok = exported.filter(pl.col("status") == "ok").height
    assert shown["export"]["ok_share"].value == round(ok / exported.height, 4)
    assert isinstance(shown["export"]["cost_usd"], dg.FloatMetadataValue)
    assert isinstance(shown["categorize"]["cost_usd"], dg.FloatMetadataValue)


def test_the_export_overview_shows_the_categories_as_bars_and_the_failures_with_example_urls(
    shown: dict[str, dict[str, dg.MetadataValue]], sample_site: str
) -> None:
    overview = shown["export"]["overview"]
    assert isinstance(overview, dg.MarkdownMetadataValue)
    text = overview.value
    assert text.startswith("### Categories") and "█" in text and "### Failures" in text
    not_found = next(line for line in text.splitlines() if line.startswith("| fetch | http\\_error |"))
    assert f"`{sample_site}/news/2025/swing-bridge-closure.html`" in not_found
    assert "| ingest | unsupported\\_scheme |" in text


def test_column_schemas_say_what_each_column_means(shown: dict[str, dict[str, dg.MetadataValue]]) -> None:
    for asset in RECORD_PARTITIONS:
        schema = shown[asset]["dagster/column_schema"]
        assert isinstance(schema, dg.TableSchemaMetadataValue)
        undescribed = [c.name for c in schema.schema.columns if not c.description]
        assert undescribed == [], asset
    fetch_schema = shown["fetch"]["dagster/column_schema"]
    assert isinstance(fetch_schema, dg.TableSchemaMetadataValue)
    fetch_columns = {c.name: c.description for c in fetch_schema.schema.columns}
    assert fetch_columns["final_url"] == "the URL after redirects"


def test_the_report_is_a_path_the_ui_shows_not_a_file_link_the_browser_refuses(
    shown: dict[str, dict[str, dg.MetadataValue]], settings: Settings
) -> None:
    files = shown["export_files"]
    assert files["report"] == dg.MetadataValue.path(str((settings.output / DAY / "report.html").resolve()))
    assert Path(str(files["report"].value)).is_file()
    assert not any(isinstance(value, dg.UrlMetadataValue) for value in files.values())
