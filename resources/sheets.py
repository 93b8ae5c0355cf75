"""A Google Sheet as a source of links and the destination of results (off when no spreadsheet is configured)."""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg

from content_pipeline.sheets import settings as defaults
from content_pipeline.sheets.connect import connect, credentials_from
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.results import UpsertReport, upsert_results
from content_pipeline.sheets.settings import SheetsSettings
from content_pipeline.sheets.source import SheetIngest, read_day, snapshot
from content_pipeline.sheets.workbook import Workbook


class SheetsResource(dg.ConfigurableResource):
    spreadsheet_id: str = ""  # blank: Sheets is off
    credentials_json: str | None = None  # the service-account key, only through dg.EnvVar; never logged
    credentials_file: str | None = None  # or a path to the key file
    input_worksheet: str = ""  # blank: the first worksheet
    results_worksheet: str = defaults.DEFAULT_RESULTS_WORKSHEET
    id_column: str = defaults.DEFAULT_ID_COLUMN
    write_back: bool = True  # write results into the results worksheet
    requests_per_minute: float = defaults.DEFAULT_REQUESTS_PER_MINUTE
    max_attempts: int = defaults.DEFAULT_MAX_ATTEMPTS
    backoff_initial_s: float = defaults.DEFAULT_BACKOFF_INITIAL_S
    timeout_s: float = defaults.DEFAULT_TIMEOUT_S
    chunk_rows: int = defaults.DEFAULT_CHUNK_ROWS
    endpoint: str | None = None  # another origin for Google's API hosts (an emulator, a proxy, a local test server)

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
