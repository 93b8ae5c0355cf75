"""The spreadsheet calls the pipeline makes, each one request through gspread's HTTP client, with clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gspread
from google.auth.exceptions import GoogleAuthError
from gspread.http_client import ParamsType

from content_pipeline.sheets.cells import quoted_title
from content_pipeline.sheets.connect import bounded
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.settings import SheetsSettings

DEFAULT_NEW_SHEET_ROWS = 1000
READ_AS_DATA: ParamsType = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
READ_AS_TEXT: ParamsType = {"valueRenderOption": "FORMATTED_VALUE"}


@dataclass(frozen=True)
class WorksheetInfo:
    sheet_id: int
    title: str
    rows: int
    columns: int


@contextmanager
def explained(spreadsheet_id: str, account: str) -> Iterator[None]:
    """Turn refusals that concern the whole spreadsheet into a SheetsError saying what to do."""
    try:
        yield
    except gspread.exceptions.APIError as exc:
        code = exc.response.status_code
        message = str(exc.error.get("message") or "")[:300]
        if code == 404:
            raise SheetsError(f"spreadsheet {spreadsheet_id!r} was not found: check the spreadsheet id") from None
        if code in (401, 403):
            raise SheetsError(
                f"spreadsheet {spreadsheet_id!r} refused access (HTTP {code}: {message}); share it with {account} "
                "as an editor"
            ) from None
        raise SheetsError(f"spreadsheet {spreadsheet_id!r}: HTTP {code}: {message}") from None
    except GoogleAuthError as exc:
        raise SheetsError(f"Google refused the service account's credentials ({type(exc).__name__}: {exc})") from None


class Workbook:
    """One spreadsheet, reached through a bounded gspread client; every method is one request."""

    def __init__(self, client: gspread.Client, settings: SheetsSettings, account: str = "the service account") -> None:
        self.http = bounded(client)
        self.settings = settings
        self.id = settings.spreadsheet_id
        self.account = account
        self.reads = 0
        self.writes = 0

    def worksheets(self) -> list[WorksheetInfo]:
        with explained(self.id, self.account):
            self.reads += 1
            meta = self.http.fetch_sheet_metadata(self.id, params={"fields": "sheets.properties"})
        sheets = []
        for sheet in meta.get("sheets", []):
            props = sheet.get("properties", {})
            grid = props.get("gridProperties", {})
            sheets.append(
                WorksheetInfo(
                    int(props.get("sheetId", 0)),
                    str(props.get("title", "")),
                    int(grid.get("rowCount", 0)),
                    int(grid.get("columnCount", 0)),
                )
            )
        return sheets

    def worksheet(self, title: str) -> WorksheetInfo | None:
        """The worksheet called `title` (blank: the first one), None when there is none."""
        sheets = self.worksheets()
        if not title:
            return sheets[0] if sheets else None
        return next((s for s in sheets if s.title == title), None)

    def values(self, title: str, as_text: bool = False) -> list[list[Any]]:
        """All cells of a worksheet (typed values and serial dates; or the text a person sees)."""
        with explained(self.id, self.account):
            self.reads += 1
            answer = self.http.values_get(
                self.id, quoted_title(title), params=dict(READ_AS_TEXT if as_text else READ_AS_DATA)
            )
        return [list(row) for row in answer.get("values", [])]

    def write(self, data: list[dict[str, Any]]) -> None:
        """Write ranges of raw values (never parsed: text stays text) in one request."""
        if not data:
            return
        with explained(self.id, self.account):
            self.writes += 1
            self.http.values_batch_update(self.id, body={"valueInputOption": "RAW", "data": data})

    def append(self, title: str, rows: list[list[Any]]) -> None:
        """Add rows after the worksheet's last row (the grid grows as needed), in one request."""
        if not rows:
            return
        with explained(self.id, self.account):
            self.writes += 1
            self.http.values_append(
                self.id,
                f"{quoted_title(title)}!A1",
                params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                body={"values": rows},
            )

    def structure(self, requests: list[dict[str, Any]]) -> dict[str, Any]:
        """A spreadsheet batchUpdate (add a sheet, grow a grid) in one request."""
        with explained(self.id, self.account):
            self.writes += 1
            return dict(self.http.batch_update(self.id, body={"requests": requests}))

    def add_worksheet(self, title: str, columns: int) -> WorksheetInfo:
        grid = {"rowCount": DEFAULT_NEW_SHEET_ROWS, "columnCount": columns}
        reply = self.structure([{"addSheet": {"properties": {"title": title, "gridProperties": grid}}}])
        props = reply["replies"][0]["addSheet"]["properties"]
        return WorksheetInfo(int(props.get("sheetId", 0)), title, DEFAULT_NEW_SHEET_ROWS, columns)

    def ensure_columns(self, sheet: WorksheetInfo, columns: int) -> None:
        """Grow the grid so that `columns` columns exist (values writes beyond the grid are refused)."""
        if columns > sheet.columns:
            grow = {"sheetId": sheet.sheet_id, "dimension": "COLUMNS", "length": columns - sheet.columns}
            self.structure([{"appendDimension": grow}])
