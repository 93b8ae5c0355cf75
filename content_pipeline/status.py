"""Per-record status values of every stage: a failure is a value on the row, never a dropped row."""

from enum import StrEnum

from content_pipeline.stages import Stage


class IngestStatus(StrEnum):
    OK = "ok"
    EMPTY_URL = "empty_url"
    RELATIVE_URL = "relative_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    INVALID_URL = "invalid_url"
    DUPLICATE = "duplicate"
    INVALID_DATE = "invalid_date"
    MALFORMED_ROW = "malformed_row"  # a line that cannot be read as CSV cells (an unbalanced quote...)
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
    NOTHING_USEFUL = "nothing_useful"  # a page we can read that holds nothing worth keeping (empty, too short...)
    UNSUPPORTED = "unsupported"  # content no processor extracts from (a PDF, an archive, a vector image...)
    ERROR = "error"


class CategorizeStatus(StrEnum):
    OK = "ok"
    SKIPPED = "skipped"
    NO_TEXT = "no_text"
    QUOTA_EXHAUSTED = "quota_exhausted"  # the provider's daily quota ran out: not asked, try again tomorrow
    BUDGET_REACHED = "budget_reached"  # the run's cost budget was spent: not asked
    ERROR = "error"


class FilingStatus(StrEnum):
    """What filing an image did (filed_images keeps where an image is now: `already_filed` is stored as `filed`)."""

    FILED = "filed"
    ALREADY_FILED = "already_filed"  # an identical file was already there (a rerun)
    FAILED = "failed"  # the item failed earlier: filed into failures/ with its reason
    ERROR = "error"  # could not be filed at all; the reason says why
    SKIPPED = "skipped"  # nothing to file: no bytes and no source file


class ExportStatus(StrEnum):
    """What export itself can add to a record that came through every stage (as `export:<status>`)."""

    FILING_ERROR = "filing_error"  # an image that could not be filed; `filed_reason` says why


KNOWN_STATUSES: dict[str, frozenset[str]] = {
    Stage.INGEST: frozenset(IngestStatus),
    Stage.FETCH: frozenset(FetchStatus),
    Stage.CLASSIFY: frozenset(ClassifyStatus),
    Stage.CATEGORIZE: frozenset(CategorizeStatus),
    Stage.FILED_IMAGES: frozenset(FilingStatus) - {FilingStatus.ALREADY_FILED},
    Stage.EXPORT: frozenset(ExportStatus),
}
