"""Per-record status values of every stage: a failure is a value on the row, never a dropped row."""

from enum import StrEnum


class IngestStatus(StrEnum):
    OK = "ok"
    EMPTY_URL = "empty_url"
    RELATIVE_URL = "relative_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    INVALID_URL = "invalid_url"
    DUPLICATE = "duplicate"
    INVALID_DATE = "invalid_date"
    BAD_FILE = "bad_file"


class FetchStatus(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BLOCKED = "blocked"
    ROBOTS = "robots"
    INVALID_URL = "invalid_url"
    FILE_ERROR = "file_error"  # a file from an image folder is gone, unreadable or outside its folder
    UNSUPPORTED_FILE = "unsupported_file"  # a file from an image folder whose bytes are not an image
    ERROR = "error"


class ClassifyStatus(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"
    NOTHING_USEFUL = "nothing_useful"
    ERROR = "error"


class CategorizeStatus(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"
    NO_TEXT = "no_text"
    QUOTA_EXHAUSTED = "quota_exhausted"  # the provider's daily quota ran out: not asked, try again tomorrow
    BUDGET_REACHED = "budget_reached"  # the run's cost budget was spent: not asked
    ERROR = "error"


KNOWN_STATUSES: dict[str, frozenset[str]] = {
    "ingest": frozenset(IngestStatus),
    "fetch": frozenset(FetchStatus),
    "classify": frozenset(ClassifyStatus),
    "categorize": frozenset(CategorizeStatus),
}
