"""Outbound HTTP for the fetch stage: limits, politeness, the private-address guard and the HTTP cache."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from content_pipeline.fetch.http_cache import HttpCache
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.settings import DEFAULT_USER_AGENT, FetchSettings
from content_pipeline.fetch.url_allowlist import check_entries

DEFAULTS = FetchSettings()


class FetcherResource(dg.ConfigurableResource):
    """Every FetchSettings field is configurable here (see content_pipeline/fetch/settings.py for meanings)."""

    concurrency: int = DEFAULTS.concurrency
    per_host_concurrency: int = DEFAULTS.per_host_concurrency
    per_host_rate: float = DEFAULTS.per_host_rate
    connect_timeout_s: float = DEFAULTS.connect_timeout_s
    read_timeout_s: float = DEFAULTS.read_timeout_s
    total_timeout_s: float = DEFAULTS.total_timeout_s
    max_body_bytes: int = DEFAULTS.max_body_bytes
    max_redirects: int = DEFAULTS.max_redirects
    max_attempts: int = DEFAULTS.max_attempts
    backoff_initial_s: float = DEFAULTS.backoff_initial_s
    backoff_max_s: float = DEFAULTS.backoff_max_s
    retry_after_max_s: float = DEFAULTS.retry_after_max_s
    give_up_host_after_timeouts: int = DEFAULTS.give_up_host_after_timeouts
    respect_robots: bool = DEFAULTS.respect_robots
    robots_max_bytes: int = DEFAULTS.robots_max_bytes
    user_agent: str = DEFAULT_USER_AGENT
    # hosts, IPs or CIDRs, each optionally with :port, the private-address guard lets through (e.g. 127.0.0.1)
    allow_private: list[str] = Field(default_factory=list)
    # file-name patterns (fnmatch) of inbox sources whose URLs are fetched without consulting robots.txt
    ignore_robots_for: list[str] = Field(default_factory=list)
    # SQLite file of validators and the journal of finished fetches; no cache when unset
    http_cache_path: str | None = None

    @classmethod
    def from_settings(
        cls, settings: FetchSettings, ignore_robots_for: Sequence[str] = (), http_cache_path: str | None = None
    ) -> "FetcherResource":
        """A resource carrying every field of `settings`, plus the fields that are not limits of the fetcher."""
        values: dict[str, Any] = {f.name: getattr(settings, f.name) for f in fields(FetchSettings)}
        values["allow_private"] = list(settings.allow_private)
        return cls(**values, ignore_robots_for=list(ignore_robots_for), http_cache_path=http_cache_path)

    def settings(self) -> FetchSettings:
        """The fetcher's settings; raises ValueError naming a bad `allow_private` entry or limit before any request."""
        check_entries(self.allow_private, "FetcherResource allow_private")
        values = {f.name: getattr(self, f.name) for f in fields(FetchSettings)}
        values["allow_private"] = tuple(self.allow_private)
        return FetchSettings(**values)

    @contextmanager
    def open(self) -> Iterator[HttpFetcher]:
        """A fetcher with the HTTP cache open for the duration of one stage run."""
        cache = HttpCache(Path(self.http_cache_path)) if self.http_cache_path else None
        try:
            yield HttpFetcher(self.settings(), cache)
        finally:
            if cache is not None:
                cache.close()
