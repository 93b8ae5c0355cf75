"""The classify stage with oEmbed: the sample site's video, audio and social rows carry their oEmbed fields."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from content_pipeline.classify.oembed import OembedClient
from content_pipeline.classify.stage import classify_partition, oembed_status_counts
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.stage import fetch_partition
from content_pipeline.sample_site.server import sample_urls
from content_pipeline.status import IngestStatus
from tests.fakes.oembed_server import FakeOembed, serve_oembed

SETTINGS = FetchSettings(allow_private=("127.0.0.1",), per_host_rate=0, max_attempts=1, total_timeout_s=10)


@pytest.fixture(scope="module")
def fetched(sample_site: str) -> pl.DataFrame:
    """The fetch stage's partition for the sample site's list, broken link included."""
    rows = [
        {"record_id": f"r{n:02d}", "url": url, "status": IngestStatus.OK.value, "reason": "", "source_file": "s.csv"}
        for n, (url, _) in enumerate(sample_urls(sample_site))
    ]
    return fetch_partition(pl.DataFrame(rows), HttpFetcher(SETTINGS))


@pytest.fixture
def catch_all(tmp_path: Path) -> Iterator[tuple[FakeOembed, Path]]:
    """A local provider and a table that sends every page URL to it (so any lookup of a wrong kind shows up)."""
    with serve_oembed() as provider:
        table = tmp_path / "providers.yaml"
        table.write_text(f"- name: All\n  endpoint: {provider.endpoint}\n  url_patterns: ['.']\n", encoding="utf-8")
        yield provider, table


def details_by_kind(classified: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in classified.iter_rows(named=True):
        grouped.setdefault(row["kind"] or "(none)", []).append(json.loads(row["details"] or "{}"))
    return grouped


def test_without_a_client_the_stage_asks_no_one_and_adds_nothing(fetched: pl.DataFrame) -> None:
    classified = classify_partition(fetched)
    assert all("oembed" not in d for rows in details_by_kind(classified).values() for d in rows)
    assert oembed_status_counts(classified) == {}


def test_platform_rows_carry_the_oembed_their_pages_advertise_and_other_rows_ask_nothing(
    fetched: pl.DataFrame, sample_site: str, catch_all: tuple[FakeOembed, Path]
) -> None:
    provider, table = catch_all
    plain = classify_partition(fetched)

    classified = classify_partition(fetched, oembed=OembedClient.from_settings(SETTINGS, table))

    assert provider.requests == []  # platform pages advertise their own links; other kinds are never looked up
    grouped = details_by_kind(classified)
    for kind in ("video", "audio", "social"):
        [outcome] = [d["oembed"] for d in grouped[kind]]
        assert (outcome["status"], outcome["source"]) == ("ok", "page"), outcome
        assert outcome["endpoint"].startswith(f"{sample_site}/oembed/") and outcome["html_length"] > 0
    assert all("oembed" not in d for kind in ("article", "image", "other", "(none)") for d in grouped.get(kind, []))
    assert oembed_status_counts(classified) == {"ok": 3}

    video = classified.filter(pl.col("kind") == "video").row(0, named=True)
    video_outcome = json.loads(video["details"])["oembed"]
    assert video_outcome["type"] == "video"
    assert video_outcome["author_url"] == f"{sample_site}/channel/northern-light-studio"
    assert grouped["social"][0]["oembed"]["author_url"] == f"{sample_site}/@ilse"
    unchanged = ["record_id", "kind", "status", "title", "author", "published", "text", "word_count"]
    assert classified.select(unchanged).equals(plain.select(unchanged))  # page metadata wins where both exist


def test_a_row_that_was_not_fetched_stays_skipped_and_is_never_looked_up(
    fetched: pl.DataFrame, catch_all: tuple[FakeOembed, Path]
) -> None:
    provider, table = catch_all
    classified = classify_partition(fetched, oembed=OembedClient.from_settings(SETTINGS, table))
    broken = classified.filter(pl.col("status") == "skipped")
    assert len(broken) == 1 and broken["reason"][0].startswith("fetch status http_error")
    assert provider.requests == []
