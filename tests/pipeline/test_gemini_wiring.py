"""With GEMINI_API_KEY set, the categorize stage talks to Gemini (here a local server speaking its REST API)."""

import json
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.gemini.pricing import load_prices
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer

KEY = "secret-test-key-5b1e"
DAY = "2026-11-24"


def test_a_gemini_key_switches_categorize_to_gemini_and_the_key_is_never_stored(
    tmp_path: Path, sample_site: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    category = load_taxonomy().names[0]

    def respond(request: Request) -> Reply:
        if any("inlineData" in part for c in request.body["contents"] for part in c.get("parts", [])):
            vision = {"category": "graphic", "description": "A chart.", "filename": "sales-chart", "tags": ["chart"]}
            return answer(vision)  # Gemini Vision, for an image
        return answer({"category": category, "tags": ["t"], "summary": "A summary.", "entities": []})

    with FakeGeminiServer() as server:
        server.responder = respond
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": server.base_url}
        env["GEMINI_MODEL"] = "gemini-test-model"
        settings = Settings.from_env(env).allowing("127.0.0.1")
        settings.inbox.mkdir(parents=True)
        urls = [url for url, kind in sample_urls(sample_site) if kind == "article"]
        images = [url for url, kind in sample_urls(sample_site) if kind == "image"]
        listed = urls + images
        (settings.inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(listed) + "\n", encoding="utf-8")
        assert run_partition(settings, DAY, instance).success
        assert {r.model for r in server.requests} == {"gemini-test-model"}
        assert all(r.headers["x-goog-api-key"] == KEY for r in server.requests)
    store = PartitionStore(settings.warehouse)
    categorized = store.read("categorize", DAY).filter(pl.col("status") == "ok")
    assert len(categorized) == len(listed)  # images too: Gemini Vision's description is text to categorize
    assert categorized["provider"].to_list() == ["gemini"] * len(listed)
    assert categorized["category"].to_list() == [category] * len(listed)
    pictures = store.read("classify", DAY).filter(pl.col("kind") == "image")
    assert len(pictures) == len(images) >= 1
    for details, description in pictures.select("details", "description").iter_rows():
        seen = json.loads(details)
        assert (seen["visual_category"], seen["visual_category_method"]) == ("graphic", "gemini:gemini-test-model")
        assert seen["heuristic_visual_category"] and description == "A chart."
        assert (seen["suggested_filename"], seen["visual_tags"]) == ("sales-chart", ["chart"])
    event = instance.get_latest_materialization_event(dg.AssetKey("classify"))
    assert event is not None and event.asset_materialization is not None
    shown = {key: value.value for key, value in event.asset_materialization.metadata.items()}
    assert (shown["vision_answers"], shown["vision_cache_hits"]) == (len(images), 0)
    assert shown["vision_tokens_in"] == 120 * len(images)
    stored = [*tmp_path.rglob("*"), *Path(instance.root_directory).rglob("*")]  # warehouse, outputs, run history
    for path in stored:
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    event = instance.get_latest_materialization_event(dg.AssetKey("categorize"))
    assert event is not None and event.asset_materialization is not None
    shown = {key: value.value for key, value in event.asset_materialization.metadata.items()}
    assert shown["gemini_prices_as_of"] == load_prices().as_of  # the bundled table, dated 2025-11: too old
    note = str(shown["gemini_prices_note"])
    assert "days ago" in note and "CONTENT_PIPELINE_GEMINI_PRICES" in note
    for asset in ("categorize", "export"):
        event = instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert event is not None and event.asset_materialization is not None
        assert KEY not in json.dumps({k: str(v.value) for k, v in event.asset_materialization.metadata.items()})
    exported = pl.read_csv(settings.output / DAY / "records.csv").filter(pl.col("kind") == "article")
    assert exported["provider"].to_list() == ["gemini"] * len(urls)
