"""The fake Sheets server, driven by the real gspread and google-auth clients."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import gspread
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.utils import InsertDataOption, ValueRenderOption

from tests.fakes import sheets_server as fake
from tests.fakes.sheets_a1 import A1Error, parse_range
from tests.fakes.sheets_server import (
    SHEETS_SCOPE,
    DateValue,
    FakeSheetsServer,
    Formula,
    mount_rewriting,
    private_key_pem,
    rewriting_session,
    service_account_info,
)

sheets_server = fake.sheets_server  # the fixture

BOOK = "book-1"


def client(server: FakeSheetsServer) -> gspread.Client:
    return gspread.Client(auth=None, session=rewriting_session(server))  # type: ignore[arg-type]


def http(server: FakeSheetsServer) -> gspread.http_client.HTTPClient:
    return client(server).http_client


def api_error(call: Any) -> gspread.exceptions.APIError:
    with pytest.raises(gspread.exceptions.APIError) as caught:
        call()
    return caught.value


@pytest.fixture
def book(sheets_server: FakeSheetsServer) -> FakeSheetsServer:
    sheets_server.add_spreadsheet(
        BOOK,
        "Links",
        {
            "Input": [["url", "count", "ok", "day"], ["https://a.example", 3, True, date(2024, 1, 5)], [], ["x", 2.5]],
            "My sheet": [],
        },
    )
    return sheets_server


def test_a1_notation() -> None:
    assert parse_range("Sheet1") == parse_range("'Sheet1'")
    whole_column = parse_range("Sheet1!A:A")
    assert (whole_column.start_row, whole_column.end_row, whole_column.start_col, whole_column.end_col) == (
        None,
        None,
        0,
        1,
    )
    open_end = parse_range("'It''s'!A2:C")
    assert (open_end.sheet, open_end.start_row, open_end.end_row, open_end.end_col) == ("It's", 1, None, 3)
    assert parse_range("Q1").sheet is None  # a cell of the first sheet, not a sheet called Q1
    with pytest.raises(A1Error):
        parse_range("Sheet1!A:3")


def test_open_by_key_and_read_a_worksheet(book: FakeSheetsServer) -> None:
    spreadsheet = client(book).open_by_key(BOOK)
    assert spreadsheet.title == "Links"
    assert [w.title for w in spreadsheet.worksheets()] == ["Input", "My sheet"]
    assert spreadsheet.worksheet("Input").get_all_values() == [
        ["url", "count", "ok", "day"],
        ["https://a.example", "3", "TRUE", "2024-01-05"],
        ["", "", "", ""],
        ["x", "2.5", "", ""],
    ]
    assert spreadsheet.worksheet("My sheet").get_all_values() == [[]]
    masked = http(book).fetch_sheet_metadata(BOOK, params={"fields": "sheets.properties.title"})
    assert masked == {"sheets": [{"properties": {"title": "Input"}}, {"properties": {"title": "My sheet"}}]}


def test_values_get_renders_and_trims_like_the_api(book: FakeSheetsServer) -> None:
    api = http(book)
    typed = api.values_get(BOOK, "'Input'", params={"valueRenderOption": "UNFORMATTED_VALUE"})
    assert typed == {
        "range": "Input!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [["url", "count", "ok", "day"], ["https://a.example", 3, True, 45296], [], ["x", 2.5]],
    }
    as_text = api.values_get(
        BOOK, "Input!D2", params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING"}
    )
    assert as_text["values"] == [["2024-01-05"]]
    assert api.values_get(BOOK, "Input!B:B")["values"] == [["count"], ["3"], [], ["2.5"]]
    assert api.values_get(BOOK, "Input!2:2")["range"] == "Input!A2:Z2"
    assert api.values_get(BOOK, "Input!A2:B")["range"] == "Input!A2:B1000"
    assert api.values_get(BOOK, "A1:B1")["values"] == [["url", "count"]]  # no sheet: the first one
    assert api.values_get(BOOK, "'My sheet'") == {"range": "'My sheet'!A1:Z1000", "majorDimension": "ROWS"}
    columns = api.values_get(BOOK, "Input!A1:B2", params={"majorDimension": "COLUMNS"})
    assert columns["values"] == [["url", "https://a.example"], ["count", "3"]]
    batch = api.values_batch_get(BOOK, ["Input!A1", "'My sheet'!A1:B2"])
    assert [r["range"] for r in batch["valueRanges"]] == ["Input!A1", "'My sheet'!A1:B2"]
    assert batch["valueRanges"][0]["values"] == [["url"]]

    unknown = api_error(lambda: api.values_get(BOOK, "'Nope'!A1"))
    assert unknown.code == 400
    assert unknown.error == {"code": 400, "message": "Unable to parse range: 'Nope'!A1", "status": "INVALID_ARGUMENT"}


def test_unknown_spreadsheet_is_not_found(book: FakeSheetsServer) -> None:
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client(book).open_by_key("missing")
    error = api_error(lambda: http(book).fetch_sheet_metadata("missing"))
    assert error.error == {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}


def test_raw_stores_text_and_user_entered_parses_it(book: FakeSheetsServer) -> None:
    spreadsheet = client(book).open_by_key(BOOK)
    row = ["=1+1", "'quoted", "007", "TRUE"]
    answer = spreadsheet.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [{"range": "'My sheet'!A1", "values": [row]}],
        }
    )
    assert answer["totalUpdatedCells"] == 4
    assert answer["responses"][0]["updatedRange"] == "'My sheet'!A1:D1"
    spreadsheet.values_batch_update(
        {"valueInputOption": "USER_ENTERED", "data": [{"range": "'My sheet'!A2:D2", "values": [row]}]}
    )
    raw, entered = book.values(BOOK, "My sheet")
    assert raw == row
    assert entered == [Formula("=1+1"), "quoted", 7, True]
    sheet = spreadsheet.worksheet("My sheet")
    assert sheet.get("A2:D2", value_render_option=ValueRenderOption.formula) == [["=1+1", "quoted", 7, True]]
    assert sheet.get("A2:D2") == [["#FORMULA", "quoted", "7", "TRUE"]]

    missing = api_error(lambda: spreadsheet.values_batch_update({"data": [{"range": "A1", "values": [["x"]]}]}))
    assert (missing.code, missing.error["message"]) == (400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")


def test_writes_beyond_the_grid_are_refused_whole(book: FakeSheetsServer) -> None:
    spreadsheet = client(book).open_by_key(BOOK)
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "'My sheet'!A1", "values": [["kept out"]]},
            {"range": "'My sheet'!A1001", "values": [["too low"]]},
        ],
    }
    error = api_error(lambda: spreadsheet.values_batch_update(body))
    assert error.code == 400
    assert error.error["status"] == "INVALID_ARGUMENT"
    assert error.error["message"] == ("Range ('My sheet'!A1001) exceeds grid limits. Max rows: 1000, max columns: 26")
    assert book.values(BOOK, "My sheet") == []  # atomic: the valid part was not applied either


def test_a_cell_over_50000_characters_refuses_the_request(book: FakeSheetsServer) -> None:
    spreadsheet = client(book).open_by_key(BOOK)
    rows = [["fine"], ["x" * 50_001]]
    error = api_error(
        lambda: spreadsheet.values_batch_update(
            {"valueInputOption": "RAW", "data": [{"range": "'My sheet'!A1", "values": rows}]}
        )
    )
    assert (error.code, error.error["message"]) == (
        400,
        "Your input contains more than the maximum of 50000 characters in a single cell.",
    )
    assert api_error(lambda: spreadsheet.worksheet("My sheet").append_rows(rows)).code == 400
    assert book.values(BOOK, "My sheet") == []
    spreadsheet.worksheet("My sheet").append_rows([["x" * 50_000]])  # exactly the limit is fine


def test_append_adds_after_the_last_row_and_grows_the_grid(sheets_server: FakeSheetsServer) -> None:
    sheets_server.add_spreadsheet(BOOK, sheets={"Results": [["id", "title"], ["1", "one"]]}, min_grid=(3, 2))
    sheet = client(sheets_server).open_by_key(BOOK).worksheet("Results")
    answer = sheet.append_rows([["2", "two"], ["3", "three", "extra"]])
    assert answer["tableRange"] == "Results!A1:B2"
    assert answer["updates"]["updatedRange"] == "Results!A3:C4"
    assert sheets_server.grid_size(BOOK, "Results") == (4, 3)
    answer = sheet.append_rows([["4"]], insert_data_option=InsertDataOption.insert_rows)
    assert answer["updates"]["updatedRange"] == "Results!A5"
    assert sheets_server.grid_size(BOOK, "Results") == (5, 3)
    assert [r[0] for r in sheets_server.values(BOOK, "Results")] == ["id", "1", "2", "3", "4"]


def test_structure_requests(book: FakeSheetsServer) -> None:
    spreadsheet = client(book).open_by_key(BOOK)
    added = spreadsheet.add_worksheet("Results", rows=10, cols=4)
    assert (added.title, added.row_count, added.col_count) == ("Results", 10, 4)
    assert book.sheet_titles(BOOK) == ["Input", "My sheet", "Results"]
    duplicate = api_error(lambda: spreadsheet.add_worksheet("results", rows=1, cols=1))
    assert duplicate.code == 400
    assert 'A sheet with the name "results" already exists. Please enter another name.' in duplicate.error["message"]

    grow = {"appendDimension": {"sheetId": added.id, "dimension": "COLUMNS", "length": 3}}
    assert spreadsheet.batch_update({"requests": [grow]}) == {"spreadsheetId": BOOK, "replies": [{}]}
    assert book.grid_size(BOOK, "Results") == (10, 7)
    added.resize(rows=20)
    assert book.grid_size(BOOK, "Results") == (20, 7)

    bad = [grow, {"appendDimension": {"sheetId": 999, "dimension": "ROWS", "length": 1}}]
    assert api_error(lambda: spreadsheet.batch_update({"requests": bad})).code == 400
    assert book.grid_size(BOOK, "Results") == (20, 7)  # atomic


def test_per_minute_quota_answers_429(book: FakeSheetsServer) -> None:
    now = [1000.0]
    book.clock = lambda: now[0]
    book.write_limit_per_minute = 1
    api = http(book)
    write = {"valueInputOption": "RAW", "data": [{"range": "'My sheet'!A1", "values": [["x"]]}]}
    api.values_batch_update(BOOK, body=write)
    error = api_error(lambda: api.values_batch_update(BOOK, body=write))
    assert error.code == 429
    assert error.error["status"] == "RESOURCE_EXHAUSTED"
    assert error.error["message"] == (
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service "
        "'sheets.googleapis.com' for consumer 'project_number:0'."
    )
    api.values_get(BOOK, "Input!A1")  # reads have their own quota
    now[0] += 61
    api.values_batch_update(BOOK, body=write)
    assert (book.reads(), book.writes()) == (1, 3)
    assert [r.status for r in book.api_requests()] == [200, 429, 200, 200]


def test_injected_failures(book: FakeSheetsServer) -> None:
    api = http(book)
    book.fail_next(2, status=503)
    book.fail_next(1, status=429, retry_after="7")
    assert api_error(lambda: api.values_get(BOOK, "Input!A1")).error["status"] == "UNAVAILABLE"
    assert api_error(lambda: api.values_get(BOOK, "Input!A1")).code == 503
    throttled = api_error(lambda: api.values_get(BOOK, "Input!A1"))
    assert (throttled.code, throttled.response.headers["Retry-After"]) == (429, "7")
    assert "'Read requests'" in throttled.error["message"]
    assert api.values_get(BOOK, "Input!A1")["values"] == [["url"]]

    book.always_fail(500)
    for _ in range(3):
        assert api_error(lambda: api.values_get(BOOK, "Input!A1")).code == 500
    book.reset_faults()
    assert api.values_get(BOOK, "Input!A1")["values"] == [["url"]]
    assert [r.status for r in book.api_requests()] == [503, 503, 429, 200, 500, 500, 500, 200]
    assert book.reads() == 8
    assert book.requests[0].param("valueRenderOption") is None
    assert book.requests[0].decoded_path == f"/v4/spreadsheets/{BOOK}/values/Input!A1"


def test_slow_answers_time_out(book: FakeSheetsServer) -> None:
    book.delay_s = 0.5
    gc = client(book)
    gc.set_timeout(0.1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        gc.http_client.values_get(BOOK, "Input!A1")


def test_concurrent_appends_all_land(book: FakeSheetsServer) -> None:
    def append(n: int) -> None:
        http(book).values_append(BOOK, "'My sheet'!A1", {"valueInputOption": "RAW"}, {"values": [[f"row {n}"]]})

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(str(r[0]) for r in book.values(BOOK, "My sheet")) == [f"row {n}" for n in range(8)]


def authorized(server: FakeSheetsServer, info: dict[str, Any]) -> gspread.Client:
    credentials = service_account.Credentials.from_service_account_info(info, scopes=[SHEETS_SCOPE])
    session = AuthorizedSession(credentials)
    mount_rewriting(session, server)
    return gspread.Client(auth=None, session=session)  # type: ignore[arg-type]


def test_service_account_token_flow(book: FakeSheetsServer) -> None:
    info = service_account_info(book)
    assert book.require_auth
    assert info["token_uri"] == f"{book.base_url}/token"

    anonymous = api_error(lambda: client(book).open_by_key(BOOK))
    assert (anonymous.code, anonymous.error["status"]) == (401, "UNAUTHENTICATED")

    gc = authorized(book, info)
    assert gc.open_by_key(BOOK).worksheet("Input").acell("A1").value == "url"
    token_requests = [r for r in book.requests if r.kind == "token"]
    assert len(token_requests) == 1
    assert token_requests[0].body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert book.api_requests()[-1].headers["authorization"].startswith("Bearer ya29.")

    book.revoke_tokens()  # google-auth refreshes on 401 and retries
    assert gc.open_by_key(BOOK).title == "Links"
    assert len([r for r in book.requests if r.kind == "token"]) == 2

    forged = dict(info, private_key=private_key_pem(1))
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        authorized(book, forged).open_by_key(BOOK)


def test_read_only_scope_cannot_write(book: FakeSheetsServer) -> None:
    info = service_account_info(book)
    credentials = service_account.Credentials.from_service_account_info(info, scopes=[SHEETS_SCOPE + ".readonly"])
    session = mount_rewriting(AuthorizedSession(credentials), book)
    api = gspread.Client(auth=None, session=session).http_client  # type: ignore[arg-type]
    assert api.values_get(BOOK, "Input!A1")["values"] == [["url"]]
    error = api_error(lambda: api.values_batch_update(BOOK, body={"valueInputOption": "RAW", "data": []}))
    assert (error.code, error.error["status"]) == (403, "PERMISSION_DENIED")


def test_dates_added_by_the_test_are_serial_days(sheets_server: FakeSheetsServer) -> None:
    sheets_server.add_spreadsheet(BOOK, sheets={"S": [[date(1899, 12, 31), date(2024, 1, 5)]]})
    assert sheets_server.values(BOOK, "S") == [[DateValue(1), DateValue(45296)]]
