"""Stage: the chain's order, each stage's upstream and what it reads, and the assets built from it."""

import dagster as dg

from content_pipeline.quality.checks import check_names
from content_pipeline.stages import RECORD_STAGES, Stage
from pipeline_defs.jobs import STAGE_ASSETS


def test_the_stages_form_one_chain_in_order_and_export_reads_every_stage_above_it() -> None:
    assert [str(stage) for stage in Stage] == ["ingest", "fetch", "classify", "categorize", "export"]
    assert [stage.upstream for stage in Stage] == [None, Stage.INGEST, Stage.FETCH, Stage.CLASSIFY, Stage.CATEGORIZE]
    assert Stage.INGEST.reads == ()
    assert Stage.CLASSIFY.reads == (Stage.FETCH,)
    assert Stage.EXPORT.reads == RECORD_STAGES == (Stage.INGEST, Stage.FETCH, Stage.CLASSIFY, Stage.CATEGORIZE)


def test_a_stage_is_its_name_wherever_a_name_is_used() -> None:
    by_name: dict[str, str] = {Stage.FETCH: "fetch's value"}
    assert by_name["fetch"] == "fetch's value"
    assert Stage("categorize") is Stage.CATEGORIZE
    assert f"{Stage.EXPORT}_status" == "export_status"


def test_every_stage_asset_is_named_after_its_stage_and_depends_on_its_upstream_only() -> None:
    assert [asset.key for asset in STAGE_ASSETS] == [dg.AssetKey(str(stage)) for stage in Stage]
    for asset, stage in zip(STAGE_ASSETS, Stage, strict=True):
        expected = {dg.AssetKey(str(stage.upstream))} if stage.upstream else set()
        assert set(asset.dependency_keys) == expected, stage
        assert {check.name for check in asset.check_specs} == set(check_names(stage)), stage
