"""A Google Sheet as a source of links and the destination of results (off when no spreadsheet is configured)."""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
from pydantic import Field

from content_pipeline.sheets.connect import connect, credentials_from
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.results import UpsertReport, upsert_results
from content_pipeline.sheets.settings import (
    DEFAULT_BACKOFF_INITIAL_S,
    DEFAULT_CHUNK_ROWS,
    DEFAULT_ID_COLUMN,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_RESULTS_WORKSHEET,
    DEFAULT_TIMEOUT_S,
    SheetsSettings,
)
from content_pipeline.sheets.source import SheetIngest, read_day, snapshot
from content_pipeline.sheets.workbook import Workbook


class SheetsResource(dg.ConfigurableResource):
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

    @property
    def enabled(self) -> bool:
        return bool(self.spreadsheet_id)

    def settings(self) -> SheetsSettings:
        return SheetsSettings(
            spreadsheet_id=self.spreadsheet_id,
            input_worksheet=self.input_worksheet,
            results_worksheet=self.results_worksheet,
            id_column=self.id_column,
            requests_per_minute=self.requests_per_minute,
            max_attempts=self.max_attempts,
            backoff_initial_s=self.backoff_initial_s,
            timeout_s=self.timeout_s,
            chunk_rows=self.chunk_rows,
        )

    def workbook(self) -> Workbook:
        if not self.enabled:
            raise SheetsError("no spreadsheet is configured: set CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID")
        info: Mapping[str, Any] = credentials_from(self.credentials_json, self.credentials_file)
        settings = self.settings()
        return Workbook(connect(settings, info, self.endpoint), settings, str(info.get("client_email")))

    def read_day(self, day: date) -> SheetIngest:
        """The input worksheet's rows of `day` (undated rows are stamped with today's date on today's run)."""
        return read_day(self.workbook(), day, datetime.now(UTC).date())

    def write_results(self, records: Sequence[Mapping[str, Any]]) -> UpsertReport:
        return upsert_results(self.workbook(), records, datetime.now(UTC))

    def digests(self) -> dict[str, str]:
        """Per day, a digest of the rows of the input worksheet (for the sensor)."""
        return snapshot(self.workbook(), datetime.now(UTC).date())
