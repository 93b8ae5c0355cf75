"""A Google Sheet as a source of links and the destination of results (off when no spreadsheet is configured)."""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import dagster as dg

from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.settings import (
    SheetsSettings,
)
from resources.fields.sheets import SheetsFields

if TYPE_CHECKING:  # imported on use: `content-pipeline config` reads only the fields
    from content_pipeline.sheets.results import UpsertReport
    from content_pipeline.sheets.source import SheetIngest
    from content_pipeline.sheets.workbook import Workbook


class SheetsResource(SheetsFields, dg.ConfigurableResource):
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

    def workbook(self) -> "Workbook":
        from content_pipeline.sheets.connect import connect, credentials_from
        from content_pipeline.sheets.workbook import Workbook

        if not self.enabled:
            raise SheetsError("no spreadsheet is configured: set CONTENT_PIPELINE_SHEETS_SPREADSHEET_ID")
        info: Mapping[str, Any] = credentials_from(self.credentials_json, self.credentials_file)
        settings = self.settings()
        return Workbook(connect(settings, info, self.endpoint), settings, str(info.get("client_email")))

    def read_day(self, day: date) -> "SheetIngest":
        """The input worksheet's rows of `day` (undated rows are stamped with today's date on today's run)."""
        from content_pipeline.sheets.source import read_day

        return read_day(self.workbook(), day, datetime.now(UTC).date())

    def write_results(self, records: Sequence[Mapping[str, Any]]) -> "UpsertReport":
        from content_pipeline.sheets.results import upsert_results

        return upsert_results(self.workbook(), records, datetime.now(UTC))

    def digests(self) -> dict[str, str]:
        """Per day, a digest of the rows of the input worksheet (for the sensor)."""
        from content_pipeline.sheets.source import snapshot

        return snapshot(self.workbook(), datetime.now(UTC).date())
