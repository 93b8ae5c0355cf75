"""A rerun of a partition with Gemini (a local server speaking its REST API) pays nothing: the AI cache answers."""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer

KEY = "secret-test-key-ai-cache"
DAY = "2026-11-24"


def is_vision(request: Request) -> bool:
    """Gemini Vision requests (classify, for images) carry the picture as an inlineData part."""
    return any("inlineData" in part for c in request.body["contents"] for part in c.get("parts", []))


def categorize_requests(server: FakeGeminiServer) -> int:
    return sum(not is_vision(r) for r in server.requests)


def categorize_metadata(instance: dg.DagsterInstance) -> dict[str, Any]:
    event = instance.get_latest_materialization_event(dg.AssetKey("categorize"))
    assert event is not None and event.asset_materialization is not None
    return {key: value.value for key, value in event.asset_materialization.metadata.items()}


def test_a_rerun_with_gemini_sends_no_categorize_requests_and_shows_the_hits(
    tmp_path: Path, sample_site: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    category = load_taxonomy().names[0]

    def respond(request: Request) -> Reply:
        if is_vision(request):
            return answer({"category": "graphic", "description": "A chart."})
        return answer({"category": category, "tags": ["t"], "summary": "A summary.", "entities": []})

    with FakeGeminiServer() as server:
        server.responder = respond
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": server.base_url}
        env["GEMINI_MODEL"] = "gemini-test-model"
        settings = Settings.from_env(env).allowing("127.0.0.1")
        assert settings.resources.gemini.ai_cache == str(tmp_path / "cache" / "ai.sqlite")
        settings.inbox.mkdir(parents=True)
        urls = [url for url, kind in sample_urls(sample_site) if kind == "article"]
        (settings.inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(urls) + "\n", encoding="utf-8")

        assert run_partition(settings, DAY, instance).success
        asked_first = categorize_requests(server)
        first = PartitionStore(settings.warehouse).read("categorize", DAY).filter(pl.col("status") == "ok")
        shown_first = categorize_metadata(instance)

        assert run_partition(settings, DAY, instance).success
        assert categorize_requests(server) == asked_first  # the rerun asked Gemini nothing...
        kept = categorize_metadata(instance)  # ...it kept the stored partition: same content, code and model
        assert kept["unchanged_input"] is True and kept["content_version"] == shown_first["content_version"]
        assert (kept["cache_hits"], kept["cache_misses"], kept["tokens_in"], kept["cost_usd"]) == (len(urls), 0, 0, 0.0)

        store = PartitionStore(settings.warehouse)
        store.path("categorize", DAY).unlink()  # nothing to keep: every text goes to the AI cache
        assert run_partition(settings, DAY, instance).success
        assert categorize_requests(server) == asked_first  # answered from the AI cache
    second = PartitionStore(settings.warehouse).read("categorize", DAY).filter(pl.col("status") == "ok")

    assert asked_first == len(first) == len(urls) >= 3
    assert first["cache"].to_list() == ["miss"] * len(first) and first["tokens_in"].sum() > 0
    assert second["cache"].to_list() == ["hit"] * len(second) and second["tokens_in"].sum() == 0
    assert second.sort("record_id")["category"].to_list() == first.sort("record_id")["category"].to_list()
    assert set(second["provider"]) == {"gemini"}
    assert (shown_first["cache_hits"], shown_first["cache_misses"], shown_first["ai_cache"]) == (0, len(urls), "on")
    shown = categorize_metadata(instance)
    assert (shown["cache_hits"], shown["cache_misses"], shown["cache_hit_rate"]) == (len(urls), 0, 1.0)
    assert shown["tokens_in"] == 0 and shown["cost_usd"] == 0.0
    ai_cache = Path(str(settings.resources.gemini.ai_cache))
    assert ai_cache.is_file() and KEY.encode() not in ai_cache.read_bytes()
