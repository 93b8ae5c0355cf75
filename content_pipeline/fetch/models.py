"""What the fetch stage is asked for and what it records per record."""

from dataclasses import dataclass
from datetime import datetime

from content_pipeline.status import FetchStatus


@dataclass(frozen=True)
class FetchRequest:
    record_id: str
    url: str


@dataclass
class FetchResult:
    """The outcome of fetching one URL; `status`/`reason` explain a failure, `body` is set only on success."""

    record_id: str
    url: str
    status: FetchStatus
    reason: str = ""
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None  # media type only, lower case
    charset: str | None = None  # from the Content-Type header
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None
    bytes: int = 0
    elapsed_ms: float = 0.0
    redirects: int = 0
    fetched_at: datetime | None = None
