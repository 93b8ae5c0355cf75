"""What the fetch stage is asked for and what it records per record."""

from dataclasses import dataclass
from datetime import datetime

from content_pipeline.status import FetchStatus


@dataclass(frozen=True)
class FetchRequest:
    record_id: str
    url: str
    respect_robots: bool = True  # False for sources the user exempted from robots.txt


@dataclass
class FetchResult:
    """The outcome of fetching one URL; `status`/`reason` explain a failure, `body` is set only on success."""

    record_id: str
    url: str
    status: FetchStatus
    reason: str = ""
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None  # effective media type, lower case: the header's, or sniffed if missing/wrong
    declared_type: str | None = None  # the Content-Type header's media type as served
    charset: str | None = None  # the body's encoding: header, then <meta>, then detection (text bodies only)
    charset_source: str | None = None  # bom, header, meta, detected or fallback; "header, 2 invalid byte
    # sequences replaced" (or meta, ...) when the declared charset fit all but a few bytes
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None
    bytes: int = 0  # decoded body bytes read
    elapsed_ms: float = 0.0  # the last attempt, redirects included
    redirects: int = 0
    attempts: int = 0  # requests made for this record (0: reused without a request, or its host was given up)
    cache: str | None = None  # "not_modified" (a 304 reused the stored body) or "journal" (kept from an unfinished run)
    fetched_at: datetime | None = None
    retry_after_s: float | None = None  # what the server asked for with Retry-After (not stored in the partition)

    @property
    def finished(self) -> bool:
        """True when a rerun should keep this outcome rather than try again (success or a permanent failure)."""
        return not is_transient(self) and self.status not in RECHECKED_STATUSES


TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
RECHECKED_STATUSES = frozenset({FetchStatus.ERROR, FetchStatus.ROBOTS})  # robots.txt may change or come back
TRANSIENT_STATUSES = frozenset({FetchStatus.TIMEOUT, FetchStatus.CONNECTION_ERROR})


def is_transient(result: FetchResult) -> bool:
    """A failure that may go away on its own: timeouts, connection errors, 408, 425, 429 and 5xx."""
    if result.status == FetchStatus.HTTP_ERROR:
        return result.http_status in TRANSIENT_HTTP or (result.http_status or 0) >= 500
    return result.status in TRANSIENT_STATUSES
