"""The fields of SheetsResource (resources/sheets.py): its settings, with their defaults, bounds and meaning.

No Dagster import, so `content-pipeline config` reads and checks them without loading Dagster."""

from pydantic import BaseModel, Field

from content_pipeline.sheets.settings import (
    DEFAULT_BACKOFF_INITIAL_S,
    DEFAULT_CHUNK_ROWS,
    DEFAULT_ID_COLUMN,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_RESULTS_WORKSHEET,
    DEFAULT_TIMEOUT_S,
)


class SheetsFields(BaseModel):
    spreadsheet_id: str = Field(
        default="", description="The spreadsheet to read links from and write results to; blank: Sheets is off"
    )
    credentials_json: str | None = Field(
        default=None,
        description="The service-account key (JSON), set only through "
        "dg.EnvVar('CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON') and never logged",
    )
    credentials_file: str | None = Field(default=None, description="Or the path of the service-account key file")
    input_worksheet: str = Field(default="", description="The worksheet of links; blank: the first one")
    results_worksheet: str = Field(
        default=DEFAULT_RESULTS_WORKSHEET, description="The worksheet results are written to (created when missing)"
    )
    id_column: str = Field(
        default=DEFAULT_ID_COLUMN, description="The column of the user's own row id (rows without one: the URL's hash)"
    )
    write_back: bool = Field(default=True, description="Write results into the results worksheet")
    requests_per_minute: float = Field(
        default=DEFAULT_REQUESTS_PER_MINUTE, gt=0.0, description="Sheets requests per minute, shared in one process"
    )
    max_attempts: int = Field(
        default=DEFAULT_MAX_ATTEMPTS, ge=1, description="Attempts of a request answered 429 or 5xx, then the step fails"
    )
    backoff_initial_s: float = Field(
        default=DEFAULT_BACKOFF_INITIAL_S, ge=0.0, description="The wait before the first retry, doubled per retry"
    )
    timeout_s: float = Field(default=DEFAULT_TIMEOUT_S, gt=0.0, description="The timeout of one request, in seconds")
    chunk_rows: int = Field(default=DEFAULT_CHUNK_ROWS, ge=1, description="Result rows written per request")
    endpoint: str | None = Field(
        default=None, description="Another origin for Google's API hosts (an emulator, a proxy); None: Google's"
    )
