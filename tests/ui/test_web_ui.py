"""The Dagster UI in headless Chromium: the asset graph and the demo partition's materialization, as users see them."""

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect, sync_playwright

from pipeline_defs.settings import PROJECT_ROOT
from tests.ui.dagster_dev import LOCATION, Deployment, PartitionRun

# dagster-graphql's client uses a deprecated gql call on every request
pytestmark = pytest.mark.filterwarnings("ignore:Using variable_values and operation_name:DeprecationWarning")

ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
STAGES = ("ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results")
UI_TIMEOUT_MS = 60_000
VIEWPORT: ViewportSize = {"width": 1600, "height": 1000}
TALL_VIEWPORT: ViewportSize = {"width": 1600, "height": 1800}  # the whole metadata table, down to category_counts
# the whole lineage (six columns of boxes) at a zoom where each box still shows its latest materialization
WIDE_VIEWPORT: ViewportSize = {"width": 2560, "height": 1200}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(chromium: Path, tmp_path: Path) -> Iterator[Page]:
    """A page in headless Debian Chromium with a fresh, empty profile."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=VIEWPORT,
        )
        try:
            browser_page = context.new_page()
            browser_page.set_default_timeout(UI_TIMEOUT_MS)
            yield browser_page
        finally:
            context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


def test_the_asset_graph_shows_every_stage_and_side_effect_in_order_with_their_latest_materialization(
    page: Page, deployment: Deployment, partition_run: PartitionRun
) -> None:
    page.set_viewport_size(WIDE_VIEWPORT)
    page.goto(f"{deployment.server.url}/locations/{LOCATION}/asset-groups/content")
    nodes = page.locator("svg foreignObject")  # the graph draws each asset as a box inside the SVG
    names = [nodes.get_by_text(stage, exact=True) for stage in STAGES]
    for name in names:
        expect(name).to_be_visible(timeout=UI_TIMEOUT_MS)
    for stage in STAGES:  # the run above materialized every stage: each box says when ("... seconds ago")
        expect(nodes.filter(has=page.get_by_text(stage, exact=True))).to_contain_text("ago", timeout=UI_TIMEOUT_MS)
    screenshot(page, "ui-asset-graph.png")
    lefts = [box["x"] for box in (name.bounding_box() for name in names) if box]
    assert len(lefts) == len(STAGES) and lefts == sorted(lefts), f"the lineage is not drawn left to right: {lefts}"


def test_the_export_page_shows_the_partitions_materialization_and_its_metadata(
    page: Page, deployment: Deployment, partition_run: PartitionRun
) -> None:
    exported = deployment.settings.warehouse / "export" / f"date={deployment.day}" / "part.parquet"
    records = pl.read_parquet(exported)
    articles = records.filter(pl.col("kind") == "article").height
    assert articles > 0

    page.set_viewport_size(TALL_VIEWPORT)
    page.goto(f"{deployment.server.url}/assets/export?view=partitions&partition={deployment.day}")
    expect(page.get_by_text("Latest materialization", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("link", name=partition_run.run_id[:8], exact=True)).to_be_visible()  # the run's short id

    def metadata_row(key: str) -> Locator:
        return page.get_by_role("row").filter(has=page.get_by_role("cell", name=key, exact=True))

    expect(metadata_row("dagster/row_count")).to_contain_text(str(records.height))
    expect(metadata_row("path")).to_contain_text(str(exported))
    expect(metadata_row("kind_counts")).to_contain_text(json.dumps({"article": articles})[1:-1])
    expect(metadata_row("category_counts")).to_be_visible()
    screenshot(page, "ui-export-materialization.png")


def test_the_export_materialization_shows_statuses_as_a_table_and_the_overview_as_markdown(
    page: Page, deployment: Deployment, partition_run: PartitionRun
) -> None:
    page.set_viewport_size(TALL_VIEWPORT)
    page.goto(f"{deployment.server.url}/assets/export?view=partitions&partition={deployment.day}")
    expect(page.get_by_text("Latest materialization", exact=True)).to_be_visible(timeout=UI_TIMEOUT_MS)

    def metadata_row(key: str) -> Locator:
        return page.get_by_role("row").filter(has=page.get_by_role("cell", name=key, exact=True)).first

    statuses = metadata_row("status_counts")  # a table, drawn in place
    expect(statuses.get_by_role("columnheader", name="share", exact=True)).to_be_visible()
    expect(statuses.get_by_role("cell", name="fetch:http_error", exact=True)).to_be_visible()  # the sample's 404
    screenshot(page, "ui-export-status-counts.png")

    overview = metadata_row("overview")  # markdown, drawn in place when it is short (as the demo's is)
    expect(overview.get_by_role("heading", name="Categories")).to_be_visible()  # rendered, not its source
    expect(overview.get_by_role("cell", name="http_error", exact=True)).to_be_visible()
    screenshot(page, "ui-export-overview.png")

    page.goto(f"{deployment.server.url}/assets/export")  # the asset's Overview, Metadata, Plots: one per number
    plots = page.get_by_text("Plots", exact=True)  # the Table / Plots switch
    expect(plots).to_be_visible(timeout=UI_TIMEOUT_MS)
    plots.click()
    expect(page.get_by_text("ok_share", exact=True).first).to_be_visible()
    screenshot(page, "ui-export-plots.png")
