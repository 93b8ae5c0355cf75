"""Named, configurable limits of the HTTP fetcher, with defaults that are polite to the sites."""

from dataclasses import dataclass

DEFAULT_USER_AGENT = "content-pipeline/0.1 (+a Dagster content pipeline; polite bot)"


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 32  # requests in flight over all hosts
    per_host_concurrency: int = 4  # requests in flight to one host
    per_host_rate: float = 4.0  # requests per second to one host; 0 means no rate limit
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0  # longest silence while reading a response
    total_timeout_s: float = 60.0  # longest one attempt may take (redirects included), and all of a URL's together
    max_body_bytes: int = 10 * 1024 * 1024  # on the decoded body, enforced while streaming: a gzip bomb stops here
    max_redirects: int = 5
    max_attempts: int = 3  # attempts per URL on timeouts, connection errors, 408, 429 and 5xx
    backoff_initial_s: float = 1.0  # first retry wait; doubles each attempt, with jitter
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0  # a longer Retry-After ends the record as a failure instead of waiting
    give_up_host_after_timeouts: int = 10  # timeouts in a row from one host before its other URLs fail fast; 0: never
    respect_robots: bool = True
    robots_max_bytes: int = 512 * 1024  # robots.txt beyond this is cut off (Google reads 500 KiB)
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: tuple[str, ...] = ()  # hosts, IPs or CIDR networks, each optionally with :port, exempt from
    # the public-address guard (see url_allowlist.py)
