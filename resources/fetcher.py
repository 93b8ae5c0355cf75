"""Outbound HTTP for the fetch stage: limits and the private-address guard are configuration."""

import dagster as dg
from pydantic import Field

from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.settings import DEFAULT_USER_AGENT, FetchSettings

DEFAULTS = FetchSettings()


class FetcherResource(dg.ConfigurableResource):
    concurrency: int = DEFAULTS.concurrency
    connect_timeout_s: float = DEFAULTS.connect_timeout_s
    read_timeout_s: float = DEFAULTS.read_timeout_s
    total_timeout_s: float = DEFAULTS.total_timeout_s
    max_body_bytes: int = DEFAULTS.max_body_bytes
    max_redirects: int = DEFAULTS.max_redirects
    user_agent: str = DEFAULT_USER_AGENT
    # hosts, IPs or CIDRs the private-address guard lets through (e.g. the demo's 127.0.0.1)
    allow_private: list[str] = Field(default_factory=list)

    def fetcher(self) -> HttpFetcher:
        return HttpFetcher(
            FetchSettings(
                concurrency=self.concurrency,
                connect_timeout_s=self.connect_timeout_s,
                read_timeout_s=self.read_timeout_s,
                total_timeout_s=self.total_timeout_s,
                max_body_bytes=self.max_body_bytes,
                max_redirects=self.max_redirects,
                user_agent=self.user_agent,
                allow_private=tuple(self.allow_private),
            )
        )
