"""The fields of FetcherResource (resources/fetcher.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from dataclasses import fields
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from content_pipeline.fetch.settings import RULES, FetchSettings

DEFAULTS = FetchSettings()  # every limit's default, written once in content_pipeline/fetch/settings.py
LIMITS = [f.name for f in fields(FetchSettings) if f.name != "allow_private"]


class FetcherFields(BaseModel):
    """Every FetchSettings field, with its default and bounds from content_pipeline/fetch/settings.py."""

    concurrency: int = Field(default=DEFAULTS.concurrency, description="Requests in flight over all hosts")
    per_host_concurrency: int = Field(
        default=DEFAULTS.per_host_concurrency,
        description="Requests in flight to one host (more than `concurrency` acts as `concurrency`)",
    )
    per_host_rate: float = Field(
        default=DEFAULTS.per_host_rate, description="Requests per second to one host, evenly spaced; 0: no limit"
    )
    connect_timeout_s: float = Field(default=DEFAULTS.connect_timeout_s, description="Seconds to connect")
    read_timeout_s: float = Field(
        default=DEFAULTS.read_timeout_s, description="Longest silence while reading a response, in seconds"
    )
    total_timeout_s: float = Field(
        default=DEFAULTS.total_timeout_s,
        description="Longest one attempt may take (redirects included), and all of a URL's attempts together",
    )
    max_body_bytes: int = Field(
        default=DEFAULTS.max_body_bytes,
        description="Largest decoded body, enforced while streaming (a gzip bomb stops here)",
    )
    max_redirects: int = Field(default=DEFAULTS.max_redirects, description="Redirects followed; 0: none")
    max_attempts: int = Field(
        default=DEFAULTS.max_attempts,
        description="Attempts per URL on timeouts, connection errors, 408, 425, 429 and 5xx",
    )
    backoff_initial_s: float = Field(
        default=DEFAULTS.backoff_initial_s, description="First wait before a retry, doubled per attempt, with jitter"
    )
    backoff_max_s: float = Field(default=DEFAULTS.backoff_max_s, description="Longest wait between attempts")
    retry_after_max_s: float = Field(
        default=DEFAULTS.retry_after_max_s,
        description="Longest Retry-After honored; a longer one ends the record as a failure",
    )
    give_up_host_after_timeouts: int = Field(
        default=DEFAULTS.give_up_host_after_timeouts,
        description="Timeouts in a row from one host before its other URLs fail fast; 0: never",
    )
    respect_robots: bool = Field(default=DEFAULTS.respect_robots, description="Obey robots.txt")
    robots_max_bytes: int = Field(
        default=DEFAULTS.robots_max_bytes, description="A robots.txt is read up to this size, the rest is cut off"
    )
    user_agent: str = Field(
        default=DEFAULTS.user_agent, description="The User-Agent header, and the agent robots.txt rules are matched for"
    )
    allow_private: list[str] = Field(
        default_factory=lambda: list(DEFAULTS.allow_private),
        description="Hosts, IPs or CIDRs, each optionally with :port, the private-address guard lets through",
    )
    ignore_robots: list[str] = Field(
        default_factory=list,
        description="File-name patterns (fnmatch) of inbox sources whose URLs are fetched without robots.txt",
    )
    http_cache: str | None = Field(
        default=None,
        description="The HTTP cache (validators, bodies and the journal of finished fetches): a SQLite file, or a "
        "postgresql:// URL shared by every worker (a secret: read from its variable, never shown); None: no cache",
    )

    @field_validator(*LIMITS, mode="before")
    @classmethod
    def within_bounds(cls, value: Any, info: ValidationInfo) -> Any:
        """A limit its FetchSettings rule refuses is refused here, before any run starts."""
        rule = RULES[str(info.field_name)]
        if not rule.accepts(value):
            raise ValueError(f"expected {rule.expected}")
        return value
