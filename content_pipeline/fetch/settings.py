"""Named, configurable limits of the HTTP fetcher, with defaults that are polite to the sites, and what each accepts."""

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from content_pipeline.fetch.url_allowlist import check_entries
from content_pipeline.retry_policy import RetryPolicy, retry_policy_of

DEFAULT_USER_AGENT = "content-pipeline/0.1 (+a Dagster content pipeline; polite bot)"


@dataclass(frozen=True)
class FetchSettings:
    """Every limit of the fetcher; a value outside its `RULES` entry raises ValueError naming it on construction."""

    concurrency: int = 32  # requests in flight over all hosts
    per_host_concurrency: int = 4  # requests in flight to one host (more than `concurrency` has no further effect)
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

    def __post_init__(self) -> None:
        problems = settings_problems(self)
        if problems:
            raise ValueError("\n".join(problems))

    def retry_policy(self) -> RetryPolicy:
        """Attempts, backoff (up to `backoff_initial_s` of jitter) and the Retry-After ceiling of one URL."""
        return retry_policy_of(self)


@dataclass(frozen=True)
class Rule:
    """What one setting accepts: a check, and the same in words for error messages."""

    expected: str
    accepts: Callable[[Any], bool]


def whole_number(minimum: int, note: str = "") -> Rule:
    """An int (not a bool) of at least `minimum`."""
    return Rule(
        f"a whole number >= {minimum}{note}",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum,
    )


def byte_count() -> Rule:
    """A size in bytes: a whole number >= 1."""
    return Rule("a whole number of bytes >= 1", whole_number(1).accepts)


def finite_number(expected: str, minimum: float, above: bool) -> Rule:
    """A finite int or float `>= minimum`, or `> minimum` when `above`."""

    def accepts(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return False
        return v > minimum if above else v >= minimum

    return Rule(expected, accepts)


def header_text(v: Any) -> bool:
    """Text that can be sent as an HTTP header value: one non-empty line of printable ASCII."""
    return isinstance(v, str) and v != "" and v.isascii() and v.isprintable()


TIMEOUT = finite_number("a number of seconds > 0", 0.0, above=True)
WAIT = finite_number("a number of seconds >= 0", 0.0, above=False)

RULES: dict[str, Rule] = {
    "concurrency": whole_number(1),
    "per_host_concurrency": whole_number(1),
    "per_host_rate": finite_number("a number of requests per second >= 0 (0: no limit)", 0.0, above=False),
    "connect_timeout_s": TIMEOUT,
    "read_timeout_s": TIMEOUT,
    "total_timeout_s": TIMEOUT,
    "max_body_bytes": byte_count(),
    "max_redirects": whole_number(0, " (0: follow none)"),
    "max_attempts": whole_number(1),
    "backoff_initial_s": WAIT,
    "backoff_max_s": WAIT,
    "retry_after_max_s": WAIT,
    "give_up_host_after_timeouts": whole_number(0, " (0: never give up)"),
    "respect_robots": Rule("true or false", lambda v: isinstance(v, bool)),
    "robots_max_bytes": byte_count(),
    "user_agent": Rule("one non-empty line of printable ASCII text (it is sent as the User-Agent header)", header_text),
    "allow_private": Rule(
        "a tuple of host names, IP addresses or CIDR networks, each optionally with :port",
        lambda v: isinstance(v, tuple) and all(isinstance(entry, str) for entry in v),
    ),
}


def rule_for(name: str) -> Rule:
    """The rule of the FetchSettings field `name`; a field without one is a programming error."""
    if name not in RULES:
        raise TypeError(f"FetchSettings.{name} has no entry in RULES (content_pipeline/fetch/settings.py): add one")
    return RULES[name]


def settings_problems(settings: FetchSettings) -> list[str]:
    """One readable line per field whose value its rule refuses (an empty list when all are fine)."""
    problems = []
    for field in fields(settings):
        value = getattr(settings, field.name)
        rule = rule_for(field.name)
        if not rule.accepts(value):
            problems.append(f"fetch setting {field.name}={value!r}: expected {rule.expected}")
        elif field.name == "allow_private":
            try:
                check_entries(value, "fetch setting allow_private")
            except ValueError as exc:
                problems.append(str(exc))
    return problems


def fetch_settings_metadata(settings: FetchSettings) -> dict[str, object]:
    """The effective settings as a JSON-safe dict (tuples become lists), for a materialization's metadata."""
    values = {field.name: getattr(settings, field.name) for field in fields(settings)}
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}
