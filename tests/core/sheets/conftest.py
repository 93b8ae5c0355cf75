"""Fixtures of the Sheets tests: a local server speaking the Sheets v4 API, and a bounded gspread client for it."""

from collections.abc import Callable

import pytest

from content_pipeline.sheets.connect import connect
from content_pipeline.sheets.settings import SheetsSettings
from content_pipeline.sheets.workbook import Workbook
from tests.fakes.sheets_server import FakeSheetsServer, rewriting_session
from tests.fakes.sheets_server import sheets_server as sheets_server  # the fixture

SPREADSHEET = "sheet-1"


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff waits a client asked for (recorded instead of slept)."""
    return []


@pytest.fixture
def workbook(sheets_server: FakeSheetsServer, sleeps: list[float]) -> Callable[..., Workbook]:
    """A Workbook on the local server; keyword arguments change its SheetsSettings."""

    def make(**changes: object) -> Workbook:
        settings = SheetsSettings(**({"spreadsheet_id": SPREADSHEET, "requests_per_minute": 0} | changes))  # type: ignore[arg-type]
        book = Workbook(connect(settings, None, session=rewriting_session(sheets_server)), settings)
        book.http.sleep = sleeps.append
        return book

    return make
