"""Stage: an order where each stage comes after what it reads, its dependencies, and the assets built from it."""

import dagster as dg

from content_pipeline.quality.checks import check_names
from content_pipeline.stages import RECORD_STAGES, Stage
from pipeline_defs.jobs import STAGE_ASSETS


def test_each_stage_comes_after_every_stage_it_reads_and_export_reads_every_record_stage_and_the_filing() -> None:
    assert [str(stage) for stage in Stage] == [
        "ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results",
    ]  # fmt: skip
    order = list(Stage)
    assert all(order.index(read) < order.index(stage) for stage in Stage for read in stage.reads)
    assert Stage.INGEST.reads == () and Stage.INGEST.upstream is None
    assert Stage.CLASSIFY.reads == (Stage.FETCH,) and Stage.CLASSIFY.upstream is Stage.FETCH
    assert RECORD_STAGES == (Stage.INGEST, Stage.FETCH, Stage.CLASSIFY, Stage.CATEGORIZE)
    assert Stage.FILED_IMAGES.reads == (Stage.INGEST, Stage.FETCH, Stage.CLASSIFY)  # not categorize: no waiting for AI
    assert Stage.EXPORT.reads == (*RECORD_STAGES, Stage.FILED_IMAGES) and Stage.EXPORT.upstream is Stage.INGEST
    assert Stage.EXPORT_FILES.reads == Stage.SHEET_RESULTS.reads == (Stage.EXPORT,)


def test_only_the_files_and_the_sheet_are_written_outside_the_warehouse() -> None:
    assert [stage for stage in Stage if not stage.in_warehouse] == [Stage.EXPORT_FILES, Stage.SHEET_RESULTS]


def test_a_stage_is_its_name_wherever_a_name_is_used() -> None:
    by_name: dict[str, str] = {Stage.FETCH: "fetch's value"}
    assert by_name["fetch"] == "fetch's value"
    assert Stage("categorize") is Stage.CATEGORIZE
    assert f"{Stage.EXPORT}_status" == "export_status"


def test_every_stage_asset_is_named_after_its_stage_and_depends_on_what_it_reads() -> None:
    assert [asset.key for asset in STAGE_ASSETS] == [dg.AssetKey(str(stage)) for stage in Stage]
    for asset, stage in zip(STAGE_ASSETS, Stage, strict=True):
        assert set(asset.dependency_keys) == {dg.AssetKey(str(read)) for read in stage.reads}, stage
        assert {check.name for check in asset.check_specs} == set(check_names(stage)), stage
