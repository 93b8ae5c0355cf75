"""The data-quality checks in the real pipeline: a good day passes every check, a day whose fetches all fail stops."""

import socket
from pathlib import Path

import dagster as dg

from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings

DAY = "2026-11-24"


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    found = {}
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            assert isinstance(evaluation, dg.AssetCheckEvaluation)
            found[(evaluation.asset_key.to_user_string(), evaluation.check_name)] = evaluation
    return found


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_good_day_passes_every_check_of_every_stage(
    settings: Settings, sample_site: str, instance: dg.DagsterInstance
) -> None:
    settings.inbox.mkdir(parents=True)
    urls = "\n".join(url for url, _ in sample_urls(sample_site))
    (settings.inbox / f"site-{DAY}.csv").write_text(f"url\n{urls}\n")
    result = run_partition(settings, DAY, instance)
    assert result.success
    evaluations = check_evaluations(result)
    assert {asset for asset, _ in evaluations} == {
        "ingest", "fetch", "classify", "categorize", "filed_images", "export", "export_files", "sheet_results",
    }  # fmt: skip
    assert ("export_files", "files_hold_every_row") in evaluations and (
        "filed_images",
        "every_image_filed",
    ) in evaluations
    assert ("categorize", "categories_in_taxonomy") in evaluations and ("fetch", "failure_rate") in evaluations
    assert all(e.passed for e in evaluations.values()), [e.description for e in evaluations.values() if not e.passed]


def test_a_day_whose_fetches_all_fail_stops_before_classify_and_says_why(
    settings: Settings, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    settings.inbox.mkdir(parents=True)
    port = closed_port()
    urls = "\n".join(f"http://127.0.0.1:{port}/page-{n}" for n in range(3))
    (settings.inbox / f"down-{DAY}.csv").write_text(f"url\n{urls}\n")
    result = run_partition(settings, DAY, instance)
    assert not result.success
    store = PartitionStore(settings.warehouse)
    assert store.read("fetch", DAY)["status"].to_list() == ["connection_error"] * 3  # the day is kept, with reasons
    assert store.missing("classify", [DAY]) == [DAY]  # classify never ran
    failed = check_evaluations(result)[("fetch", "failure_rate")]
    assert not failed.passed and DAY in str(failed.description) and "bound of 50.0%" in str(failed.description)
