"""What the pipeline needs to know to read links from a Google Sheet and write results back."""

from dataclasses import dataclass

from content_pipeline.retry_policy import RetryPolicy, retry_policy_of

DEFAULT_REQUESTS_PER_MINUTE = 50.0  # Sheets allows 60 read and 60 write requests per minute per user
DEFAULT_BURST = 5  # requests that may start at once beyond the even pace (50 + 5 stays under 60 a minute)
DEFAULT_MAX_ATTEMPTS = 5  # a 429 or 5xx is retried this many times in all, then the run fails with a clear message
DEFAULT_BACKOFF_INITIAL_S = 2.0  # the wait before the first retry, doubled per retry, plus up to this much jitter
DEFAULT_BACKOFF_MAX_S = 32.0
DEFAULT_RETRY_AFTER_MAX_S = 60.0  # a longer Retry-After waits only this long
DEFAULT_TIMEOUT_S = 30.0  # gspread has no timeout of its own
DEFAULT_CHUNK_ROWS = 500  # rows written per request
DEFAULT_RESULTS_WORKSHEET = "results"
DEFAULT_ID_COLUMN = "id"


@dataclass(frozen=True)
class SheetsSettings:
    """One spreadsheet: the worksheet of links (blank: the first one) and the worksheet results are written to."""

    spreadsheet_id: str
    input_worksheet: str = ""
    results_worksheet: str = DEFAULT_RESULTS_WORKSHEET
    id_column: str = DEFAULT_ID_COLUMN  # the user's own row id; rows without one get an id derived from the URL
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE
    burst: int = DEFAULT_BURST
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_initial_s: float = DEFAULT_BACKOFF_INITIAL_S
    backoff_max_s: float = DEFAULT_BACKOFF_MAX_S
    retry_after_max_s: float = DEFAULT_RETRY_AFTER_MAX_S
    timeout_s: float = DEFAULT_TIMEOUT_S
    chunk_rows: int = DEFAULT_CHUNK_ROWS

    def retry_policy(self) -> RetryPolicy:
        """Attempts, backoff and the Retry-After ceiling of one request (a longer Retry-After waits the ceiling)."""
        return retry_policy_of(self)
