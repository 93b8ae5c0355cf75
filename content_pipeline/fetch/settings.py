"""Named, configurable limits of the HTTP fetcher."""

from dataclasses import dataclass

DEFAULT_USER_AGENT = "content-pipeline/0.1 (+a Dagster content pipeline; polite bot)"


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 16
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_body_bytes: int = 10 * 1024 * 1024  # on the decoded body: a gzip bomb stops here
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: tuple[str, ...] = ()  # hosts, IPs or CIDR networks exempt from the public-address guard
