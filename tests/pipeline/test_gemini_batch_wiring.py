"""With batch mode on, the categorize stage sends the partition as one Gemini Batch API job (a local server)."""

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.fakes.gemini_batch_server import FakeGeminiBatchServer, InlinedCall, Reply, answer

KEY = "secret-test-key-batch"
DAY = "2026-11-24"


def test_batch_mode_categorizes_a_partition_with_one_batch_job(
    tmp_path: Path, sample_site: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    category = load_taxonomy().names[1]

    def respond(call: InlinedCall) -> Reply:
        return answer({"category": category, "tags": ["t"], "summary": "A summary.", "entities": []})

    with FakeGeminiBatchServer() as server:
        server.responder = respond
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        env = {"CONTENT_PIPELINE_HOME": str(tmp_path), "GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": server.base_url}
        env |= {"CONTENT_PIPELINE_GEMINI_BATCH": "1", "CONTENT_PIPELINE_GEMINI_BATCH_POLL_S": "0.05"}
        settings = Settings.from_env(env).allowing("127.0.0.1")
        settings.inbox.mkdir(parents=True)
        urls = [url for url, kind in sample_urls(sample_site) if kind == "article"]  # no images: no vision calls
        (settings.inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(urls) + "\n", encoding="utf-8")
        assert run_partition(settings, DAY, instance).success
        assert len(server.calls("create")) == 1 and not server.calls("generate")
        assert len(server.calls("get")) >= 1
    categorized = PartitionStore(settings.warehouse).read("categorize", DAY)
    assert categorized["status"].to_list() == ["ok"] * len(urls)
    assert categorized["category"].to_list() == [category] * len(urls)
    assert categorized.filter(pl.col("provider") != "gemini").is_empty()
