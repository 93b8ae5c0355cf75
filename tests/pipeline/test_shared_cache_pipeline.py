"""Two machines (two homes, two warehouses) running the same day with both caches in one PostgreSQL database: the
second pays Gemini nothing, and the database URL's password appears nowhere in the runs' events."""

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from content_pipeline.categorize.taxonomy import load_taxonomy
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.warehouse.partition_store import PartitionStore
from pipeline_defs.runner import run_partition
from pipeline_defs.settings import Settings
from tests.fakes.gemini_server import FakeGeminiServer, Reply, Request, answer
from tests.instance.postgres_server import PostgresServer, postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
KEY = "secret-test-key-shared-cache"
DAY = "2026-11-24"


def test_a_second_machine_sharing_the_caches_asks_gemini_nothing(
    tmp_path: Path,
    sample_site: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    postgres_server: PostgresServer,
    postgres_database: str,
) -> None:
    url = postgres_server.url(postgres_database, scheme="postgresql")
    category = load_taxonomy().names[0]

    def respond(request: Request) -> Reply:
        return answer({"category": category, "tags": ["t"], "summary": "A summary.", "entities": []})

    urls = [u for u, kind in sample_urls(sample_site) if kind == "article"]
    with FakeGeminiServer() as server:
        server.responder = respond
        shared = {"CONTENT_PIPELINE_AI_CACHE": url, "CONTENT_PIPELINE_HTTP_CACHE": url, "GEMINI_API_KEY": KEY}
        for name, value in shared.items():
            monkeypatch.setenv(name, value)  # a secret reaches a run through its variable only
        days: list[pl.DataFrame] = []
        for machine in ("a", "b"):
            env = {"CONTENT_PIPELINE_HOME": str(tmp_path / machine), "GEMINI_BASE_URL": server.base_url, **shared}
            settings = Settings.from_env(env).allowing("127.0.0.1")
            assert isinstance(settings.resources.gemini.ai_cache, dg.EnvVar)
            settings.inbox.mkdir(parents=True)
            (settings.inbox / f"links-{DAY}.csv").write_text("url\n" + "\n".join(urls) + "\n", encoding="utf-8")
            assert run_partition(settings, DAY, instance).success
            days.append(PartitionStore(settings.warehouse).read("categorize", DAY).sort("record_id"))
            asked = len(server.requests)
            assert asked == len(urls)  # the first machine asked once per article; the second nothing more
    first, second = days
    assert first["cache"].to_list() == ["miss"] * len(urls) and second["cache"].to_list() == ["hit"] * len(urls)
    assert second["category"].to_list() == first["category"].to_list()
    assert (
        not (tmp_path / "b" / "cache" / "ai.sqlite").exists()
        and not (tmp_path / "b" / "cache" / "http.sqlite").exists()
    )
    password = postgres_server.password
    runs = instance.get_runs()
    assert len(runs) == 2 and not any(password in str(run.run_config) for run in runs)
    logged = [str(entry) for run in runs for entry in instance.all_logs(run.run_id)]
    assert logged and not any(password in entry for entry in logged)  # events, metadata, log lines
