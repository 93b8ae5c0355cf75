"""A local Google Sheets (API v4) and OAuth2 token endpoint on 127.0.0.1, for the real gspread and google-auth clients.

Start it with `with FakeSheetsServer() as server:` (or the `sheets_server` fixture below), add spreadsheets with
`server.add_spreadsheet(...)`, and drive it with `gspread.Client(auth=None, session=rewriting_session(server))`: the
session sends gspread's `https://sheets.googleapis.com/...` requests here. For the service-account flow,
`service_account_info(server)` returns a key file whose `token_uri` is this server's `/token`; registering it makes
every /v4 call need a Bearer token the server issued.

Endpoints (paths as gspread sends them): `GET /v4/spreadsheets/{id}`, `GET .../values/{range}`,
`GET .../values:batchGet`, `PUT .../values/{range}`, `POST .../values/{range}:append`, `POST .../values/{range}:clear`,
`POST .../values:batchUpdate`, `POST .../values:batchClear`, `POST /v4/spreadsheets/{id}:batchUpdate` (addSheet,
deleteSheet, appendDimension, updateSheetProperties) and `POST /token` (JWT-bearer grant: RS256 signature checked
against the registered key; `aud` must be Google's token endpoint, which google-auth always signs for, or this
server's /token; `scope` must include a Sheets or Drive scope; read-only scopes get 403 on writes). Metadata honours
simple dotted `fields` masks (`sheets.properties`) and ignores `includeGridData`.

Values as Sheets keeps them: a cell holds str, int, float, bool, a `Formula` or a `DateValue` (a serial day number
shown as a date); an empty cell is None. Reads leave out trailing empty rows and cells and omit `values` when there
is nothing, like the API. Dates render as ISO text (`2024-01-05`, `2024-01-05 13:30:00`) whatever the input format;
a formula is never evaluated: it reads as its `value` (default the text "#FORMULA") and as its text with FORMULA.
USER_ENTERED input is parsed the way typing into Sheets would: `'text` -> text (the apostrophe dropped), `=...` -> a
formula, `+x`/`-x` that are not numbers -> the formula `=+x`/`=-x`, numbers (`007` -> 7, `1,234` -> 1234, more than
15 significant digits rounded to 15 as a float), TRUE/FALSE -> booleans, `YYYY-MM-DD[ HH:MM[:SS]]` and `M/D/YYYY`
-> dates; percentages and currencies stay text. RAW stores strings exactly. Numbers beyond 2**53 become floats.

Faults: per-minute read/write quotas (`read_limit_per_minute`, `write_limit_per_minute`, over -> 429
RESOURCE_EXHAUSTED), `fail_next(count, status)`, `always_fail(status)`, `reset_faults()`, and `delay_s` (the answer
is sent that late, after the request was applied, so a timed-out write may have happened, as with the real service).
Faults, quotas and delay concern /v4 calls only, never /token. A 502 is an HTML page, as Google's front end sends it.
Every request, refused ones included, is recorded in `server.requests`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from content_pipeline.sheets.connect import EndpointAdapter
from tests.fakes.sheets_a1 import MAX_COLUMNS, A1Error, A1Range, area_name, column_letters, parse_range

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
READ_ONLY_SCOPES = frozenset({SHEETS_SCOPE + ".readonly", "https://www.googleapis.com/auth/drive.readonly"})
WRITE_SCOPES = frozenset(
    {SHEETS_SCOPE, "https://www.googleapis.com/auth/drive", "https://www.googleapis.com/auth/drive.file"}
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# the audiences Google's token endpoint accepts; google-auth always signs for the first, whatever token_uri says
GOOGLE_TOKEN_AUDIENCES = (
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
)
TOKEN_LIFETIME_S = 3600
MAX_CELL_CHARS = 50_000
MAX_WORKBOOK_CELLS = 10_000_000
DEFAULT_GRID = (1000, 26)
FORMULA_PLACEHOLDER = "#FORMULA"
SERIAL_EPOCH = datetime(1899, 12, 30)
GOOGLE_HOSTS = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
DEFAULT_CLIENT_EMAIL = "pipeline-tests@fake-project.iam.gserviceaccount.com"

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
FAULT_MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    408: "Request timed out.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
    504: "Deadline expired before operation could complete.",
}
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
BAD_GATEWAY_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n<title>Error 502 (Server Error)!!1</title>\n"
    "<p><b>502.</b> <ins>That’s an error.</ins>\n<p>The server encountered a temporary error and could not complete "
    "your request.<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>\n"
)

ValueRender = Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"]
DateRender = Literal["SERIAL_NUMBER", "FORMATTED_STRING"]
Kind = Literal["read", "write", "token", "other"]
VALUE_RENDERS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_RENDERS = ("SERIAL_NUMBER", "FORMATTED_STRING")
DIMENSIONS = ("ROWS", "COLUMNS")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")
INSERT_OPTIONS = ("OVERWRITE", "INSERT_ROWS")


# --- cells -----------------------------------------------------------------------------------------------------------

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Formula:
    """A formula cell: `text` is what was entered ("=SUM(A1:A3)"), `value` what it reads as (never computed here)."""

    text: str
    value: Scalar | None = None


@dataclass(frozen=True)
class DateValue:
    """A date (or date-time) cell: Sheets keeps a serial day number (days since 1899-12-30) with a date format."""

    serial: float
    has_time: bool = False

    @classmethod
    def of(cls, moment: date | datetime) -> DateValue:
        if isinstance(moment, datetime):
            days = (moment.replace(tzinfo=None) - SERIAL_EPOCH) / timedelta(days=1)
            return cls(int(days) if days.is_integer() else days, has_time=True)
        return cls((moment - SERIAL_EPOCH.date()).days)

    @property
    def moment(self) -> datetime:
        return SERIAL_EPOCH + timedelta(days=self.serial)

    @property
    def formatted(self) -> str:
        return self.moment.strftime("%Y-%m-%d %H:%M:%S" if self.has_time else "%Y-%m-%d")


Cell = Scalar | Formula | DateValue


class _Skip:
    """JSON null in written values: leave the cell as it is."""


SKIP = _Skip()


def _number(value: int | float) -> int | float:
    """Sheets keeps numbers as doubles: an int beyond 2**53 loses precision, an integral float reads as an int."""
    if isinstance(value, int) and abs(value) > 2**53:
        return float(value)
    return value


def format_number(value: int | float) -> str:
    """As the default number format shows it, near enough: integral values without ".0", 15 significant digits."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value) if isinstance(value, int) else f"{value:.15g}"


def render(cell: Cell | None, value_render: str, date_render: str) -> Any:
    """A cell as values.get returns it."""
    if cell is None:
        return ""
    if isinstance(cell, Formula):
        if value_render == "FORMULA":
            return cell.text
        return render(FORMULA_PLACEHOLDER if cell.value is None else cell.value, value_render, date_render)
    if isinstance(cell, DateValue):
        if value_render == "FORMATTED_VALUE" or date_render == "FORMATTED_STRING":
            return cell.formatted
        return int(cell.serial) if float(cell.serial).is_integer() else cell.serial
    if value_render != "FORMATTED_VALUE":
        return cell
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, int | float):
        return format_number(cell)
    return cell


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _typed_number(text: str) -> int | float | None:
    text = text.strip()
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        return None
    if "." in text or "e" in text.lower():
        number = float(text)
        return int(number) if number.is_integer() and abs(number) < 1e15 else number
    whole = int(text)
    if len(str(abs(whole)).rstrip("0") or "0") > 15:  # Sheets keeps 15 significant digits
        return float(f"{whole:.15g}")
    return _number(whole)


def _typed_date(text: str) -> DateValue | None:
    try:
        if iso := _ISO_DATE.match(text):
            year, month, day, hour, minute, second = (int(g) if g else None for g in iso.groups())
            assert year is not None and month is not None and day is not None
            if hour is None:
                return DateValue.of(date(year, month, day))
            return DateValue.of(datetime(year, month, day, hour, minute or 0, second or 0))
        if us := _US_DATE.match(text):
            month, day, year = (int(g) for g in us.groups())
            return DateValue.of(date(year, month, day))
    except ValueError:  # 2024-02-30 is text
        return None
    return None


def user_entered(text: str) -> Cell | None:
    """A string as if typed into the sheet."""
    if text.startswith("'"):
        return text[1:] or None
    if text.startswith("=") and len(text) > 1:
        return Formula(text)
    number = _typed_number(text)
    if number is not None:
        return number
    if text.strip().upper() in ("TRUE", "FALSE"):
        return text.strip().upper() == "TRUE"
    moment = _typed_date(text.strip())
    if moment is not None:
        return moment
    if text.startswith(("+", "-")) and len(text) > 1:
        return Formula("=" + text)
    return text


def stored(value: Any) -> Cell | None:
    """A Python value given to `add_spreadsheet`: strings as they are, dates as serial days, "" and None empty."""
    if value is None or value == "":
        return None
    if isinstance(value, Formula | DateValue | str | bool):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, date):
        return DateValue.of(value)
    raise TypeError(f"a cell cannot hold {type(value).__name__}")


# --- errors and replies ----------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body, indent=2).encode()


class ApiError(Exception):
    """A refusal, answered with Google's error JSON: {"error": {"code", "message", "status"}}."""

    def __init__(
        self,
        code: int,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.details = details or []
        self.headers = headers or {}

    def reply(self) -> Reply:
        if self.code == 502:
            return Reply(502, BAD_GATEWAY_PAGE, self.headers, "text/html; charset=UTF-8")
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": STATUS_NAMES.get(self.code, "")}
        if self.details:
            error["details"] = self.details
        return Reply(self.code, {"error": error}, self.headers)


def invalid(message: str) -> ApiError:
    return ApiError(400, message)


def not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.")


def quota_exceeded(kind: Kind, headers: dict[str, str] | None = None) -> ApiError:
    metric = "Write" if kind == "write" else "Read"
    message = (
        f"Quota exceeded for quota metric '{metric} requests' and limit '{metric} requests per minute per user' of "
        "service 'sheets.googleapis.com' for consumer 'project_number:0'."
    )
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {
            "service": "sheets.googleapis.com",
            "quota_metric": f"sheets.googleapis.com/{metric.lower()}_requests",
            "quota_limit": f"{metric}RequestsPerMinutePerUser",
            "consumer": "projects/0",
        },
    }
    return ApiError(429, message, [info], headers)


def fault(status: int, kind: Kind, retry_after: str | None) -> ApiError:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    if status == 429:
        return quota_exceeded(kind, headers)
    return ApiError(status, FAULT_MESSAGES.get(status, "Injected failure."), headers=headers)


# --- the store -------------------------------------------------------------------------------------------------------


@dataclass
class Sheet:
    sheet_id: int
    title: str
    row_count: int
    column_count: int
    rows: list[list[Cell | None]] = field(default_factory=list)

    def properties(self, index: int) -> dict[str, Any]:
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.row_count, "columnCount": self.column_count},
        }

    def cell(self, row: int, col: int) -> Cell | None:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def put(self, row: int, col: int, value: Cell | None) -> None:
        while len(self.rows) <= row:
            self.rows.append([])
        line = self.rows[row]
        if value is None and col >= len(line):
            return
        while len(line) <= col:
            line.append(None)
        line[col] = value

    def last_data_row(self) -> int:
        """0-based index of the last row holding a value; -1 when the sheet is empty."""
        for index in range(len(self.rows) - 1, -1, -1):
            if any(cell is not None for cell in self.rows[index]):
                return index
        return -1

    def truncated(self, rows: int, columns: int) -> list[list[Cell | None]]:
        return [list(line[:columns]) for line in self.rows[:rows]]


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet]
    next_sheet_id: int = 1

    def find(self, title: str) -> Sheet | None:
        """Sheet titles are unique regardless of case, and ranges name them regardless of case."""
        return next((s for s in self.sheets if s.title.lower() == title.lower()), None)

    def by_id(self, sheet_id: Any) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def metadata(self) -> dict[str, Any]:
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": "en_US",
                "autoRecalc": "ON_CHANGE",
                "timeZone": "Etc/GMT",
            },
            "sheets": [{"properties": s.properties(i)} for i, s in enumerate(self.sheets)],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }


def _check_workbook_size(sheets: list[Sheet]) -> None:
    if sum(s.row_count * s.column_count for s in sheets) > MAX_WORKBOOK_CELLS:
        raise invalid(
            f"This action would increase the number of cells in the workbook above the limit of {MAX_WORKBOOK_CELLS} "
            "cells."
        )
    for sheet in sheets:
        if sheet.column_count > MAX_COLUMNS:
            raise invalid(f"This action would increase the number of columns in sheet {sheet.title!r} above the limit.")


@dataclass
class Write:
    """A validated write: where it starts and the parsed cells (rows of values; SKIP leaves a cell alone)."""

    sheet: Sheet
    row: int
    col: int
    cells: list[list[Cell | _Skip | None]]

    @property
    def height(self) -> int:
        return len(self.cells)

    @property
    def width(self) -> int:
        return max((len(line) for line in self.cells), default=0)

    def apply(self) -> None:
        for r, line in enumerate(self.cells):
            for c, value in enumerate(line):
                if not isinstance(value, _Skip):
                    self.sheet.put(self.row + r, self.col + c, value)

    def summary(self, spreadsheet_id: str) -> dict[str, Any]:
        """The UpdateValuesResponse; zero counts are left out, as proto3 JSON does."""
        written = [(r, c) for r, line in enumerate(self.cells) for c, v in enumerate(line) if not isinstance(v, _Skip)]
        answer: dict[str, Any] = {
            "spreadsheetId": spreadsheet_id,
            "updatedRange": area_name(
                self.sheet.title, self.row, self.col, self.row + max(self.height, 1), self.col + max(self.width, 1)
            ),
            "updatedRows": len({r for r, _ in written}),
            "updatedColumns": len({c for _, c in written}),
            "updatedCells": len(written),
        }
        return {k: v for k, v in answer.items() if v != 0}


def _transpose(values: list[list[Any]]) -> list[list[Any]]:
    width = max((len(line) for line in values), default=0)
    return [[line[c] if c < len(line) else None for line in values] for c in range(width)]


def _parse_written(value: Any, input_option: str, where: str) -> Cell | _Skip | None:
    if value is None:
        return SKIP
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise invalid(f"Invalid {where}: number_value {value}")
        return _number(value)
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise invalid(f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a single cell.")
        if value == "":
            return None
        return user_entered(value) if input_option == "USER_ENTERED" else value
    kind = "list_value" if isinstance(value, list) else "struct_value"
    raise invalid(f"Invalid {where}: {kind} {json.dumps(value)}")


def _enum(params: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise invalid(f"Invalid value at '{name}', \"{value}\"")
    return str(value)


def _flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is True or (isinstance(value, str) and value.lower() == "true")


# --- recording -------------------------------------------------------------------------------------------------------


@dataclass
class SeenRequest:
    """One request as the server received it; `status` is what it was answered."""

    method: str
    path: str  # as sent, percent-encoded, without the query
    query: dict[str, list[str]]
    body: Any  # parsed JSON (the form fields for /token); None when there was no body
    kind: Kind  # GETs under /v4 are reads, other /v4 calls writes
    headers: dict[str, str]
    status: int = 0
    received_at: float = field(default_factory=time.monotonic)

    @property
    def is_read(self) -> bool:
        return self.kind == "read"

    @property
    def is_write(self) -> bool:
        return self.kind == "write"

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Fault:
    status: int
    retry_after: str | None


@dataclass
class _Token:
    client_email: str
    scopes: frozenset[str]
    expires_at: float


# --- routes ----------------------------------------------------------------------------------------------------------

_ID = r"(?P<id>[^/:?]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(rf"^/v4/spreadsheets/{_ID}$"), "_get_metadata"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}:batchUpdate$"), "_batch_update"),
    ("GET", re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchGet$"), "_values_batch_get"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchUpdate$"), "_values_batch_update"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values:batchClear$"), "_values_batch_clear"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+):append$"), "_values_append"),
    ("POST", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+):clear$"), "_values_clear"),
    ("GET", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+)$"), "_values_get"),
    ("PUT", re.compile(rf"^/v4/spreadsheets/{_ID}/values/(?P<range>.+)$"), "_values_update"),
]


class FakeSheetsServer:
    """Threaded HTTP server on 127.0.0.1 (ephemeral port) with in-memory spreadsheets; see the module docstring."""

    def __init__(self, require_auth: bool = False) -> None:
        self.require_auth = require_auth
        self.requests: list[SeenRequest] = []
        self.read_limit_per_minute: int | None = None
        self.write_limit_per_minute: int | None = None
        self.delay_s: float = 0.0
        self.clock: Callable[[], float] = time.monotonic  # quota windows and token expiry; tests may replace it
        self._lock = threading.RLock()
        self._books: dict[str, Spreadsheet] = {}
        self._faults: deque[_Fault] = deque()
        self._always: _Fault | None = None
        self._quota_seen: dict[str, deque[float]] = {"read": deque(), "write": deque()}
        self._accounts: dict[str, dict[str, rsa.RSAPublicKey]] = {}
        self._tokens: dict[str, _Token] = {}
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._send(server._serve(method, self.path, headers, raw))

            def _send(self, reply: Reply) -> None:
                data = reply.encoded()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    self.close_connection = True

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return self.base_url + "/token"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the store, for tests ----------------------------------------------------------------------------------------

    def add_spreadsheet(
        self,
        spreadsheet_id: str,
        title: str = "Untitled spreadsheet",
        sheets: Mapping[str, list[list[Any]]] | None = None,
        min_grid: tuple[int, int] = DEFAULT_GRID,
    ) -> None:
        """A spreadsheet whose sheets (in order) hold these rows; each grid is min_grid (rows, columns) or larger."""
        book = Spreadsheet(spreadsheet_id, title, [])
        for index, (sheet_title, rows) in enumerate((sheets or {"Sheet1": []}).items()):
            width = max((len(r) for r in rows), default=0)
            sheet = Sheet(index, sheet_title, max(min_grid[0], len(rows)), max(min_grid[1], width))
            for r, line in enumerate(rows):
                for c, value in enumerate(line):
                    sheet.put(r, c, stored(value))
            book.sheets.append(sheet)
        book.next_sheet_id = len(book.sheets)
        with self._lock:
            self._books[spreadsheet_id] = book

    def _sheet(self, spreadsheet_id: str, sheet_title: str) -> Sheet:
        book = self._books[spreadsheet_id]
        sheet = book.find(sheet_title)
        if sheet is None:
            raise KeyError(f"no sheet {sheet_title!r} in {spreadsheet_id!r}")
        return sheet

    def values(self, spreadsheet_id: str, sheet_title: str) -> list[list[Cell]]:
        """The stored cells (Formula and DateValue included), trimmed like the API; empty cells inside are ""."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            lines = [_trimmed(line) for line in sheet.rows]
        while lines and not lines[-1]:
            lines.pop()
        return [["" if cell is None else cell for cell in line] for line in lines]

    def cell(self, spreadsheet_id: str, sheet_title: str, a1: str) -> Cell | None:
        """One stored cell (`B3`); None when empty."""
        target = parse_range(a1)
        assert target.start_row is not None and target.start_col is not None, a1
        with self._lock:
            return self._sheet(spreadsheet_id, sheet_title).cell(target.start_row, target.start_col)

    def grid_size(self, spreadsheet_id: str, sheet_title: str) -> tuple[int, int]:
        """(rowCount, columnCount) of the sheet's grid."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            return sheet.row_count, sheet.column_count

    def sheet_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return [s.title for s in self._books[spreadsheet_id].sheets]

    # --- observation and faults --------------------------------------------------------------------------------------

    def reads(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.kind == "read")

    def writes(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.kind == "write")

    def api_requests(self) -> list[SeenRequest]:
        """The /v4 requests so far (token requests left out)."""
        with self._lock:
            return [r for r in self.requests if r.kind in ("read", "write")]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def fail_next(self, count: int, status: int = 429, retry_after: str | None = None) -> None:
        """The next `count` /v4 requests fail with `status` (queued after faults already set), then all is normal."""
        with self._lock:
            self._faults.extend(_Fault(status, retry_after) for _ in range(count))

    def always_fail(self, status: int, retry_after: str | None = None) -> None:
        """Every /v4 request fails with `status` until `reset_faults()`."""
        with self._lock:
            self._always = _Fault(status, retry_after)

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._always = None

    def reset_quota(self) -> None:
        """Forget the requests counted in the current quota minute."""
        with self._lock:
            for seen in self._quota_seen.values():
                seen.clear()

    # --- auth --------------------------------------------------------------------------------------------------------

    def register_service_account(self, client_email: str, public_key: rsa.RSAPublicKey, key_id: str) -> None:
        """Accept JWTs of this account signed with this key; from now on /v4 calls need a token."""
        with self._lock:
            self._accounts.setdefault(client_email, {})[key_id] = public_key
            self.require_auth = True

    def revoke_tokens(self) -> None:
        """Every token issued so far stops working (clients then get 401 and must fetch a new one)."""
        with self._lock:
            self._tokens.clear()

    def issued_tokens(self) -> list[str]:
        with self._lock:
            return list(self._tokens)

    # --- serving -----------------------------------------------------------------------------------------------------

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        kind: Kind = "other"
        if parts.path == "/token":
            kind = "token"
        elif parts.path.startswith("/v4/"):
            kind = "read" if method == "GET" else "write"
        body: Any = None
        body_error = False
        if kind == "token":
            body = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body_error = True
        seen = SeenRequest(method, parts.path, query, body, kind, headers)
        with self._lock:
            self.requests.append(seen)
        try:
            if kind == "token":
                reply = self._token(method, body)
            elif kind == "other":
                reply = ApiError(404, f"Not found: {parts.path}").reply()
            else:
                try:
                    if body_error:
                        raise invalid("Invalid JSON payload received. Unexpected token.")
                    reply = Reply(200, self._api(method, parts.path, query, body, kind, headers))
                except ApiError as exc:
                    reply = exc.reply()
                self._sleep()
        except Exception as exc:  # a bug in the fake: say so instead of dropping the connection
            reply = ApiError(500, f"fake Sheets server error: {type(exc).__name__}: {exc}").reply()
        seen.status = reply.status
        return reply

    def _sleep(self) -> None:
        deadline = time.monotonic() + self.delay_s
        while not self._stopping.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.02, max(0.0, deadline - time.monotonic())))

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, kind: Kind, headers: dict[str, str]
    ) -> Any:
        with self._lock:
            injected = self._always or (self._faults.popleft() if self._faults else None)
            if injected is not None:
                raise fault(injected.status, kind, injected.retry_after)
            self._authenticate(headers, kind)
            self._charge_quota(kind)
            if not isinstance(body, dict | None):
                raise invalid("Invalid JSON payload received. Expected an object.")
            for route_method, pattern, handler in _ROUTES:
                match = pattern.match(path)
                if match and route_method == method:
                    groups = match.groupdict()
                    book = self._books.get(unquote(groups["id"]))
                    if book is None:
                        raise not_found()
                    params: dict[str, Any] = {k: v[0] for k, v in query.items()}
                    params["ranges"] = query.get("ranges", [])
                    target = unquote(groups["range"]) if "range" in groups else ""
                    answer: Any = getattr(self, handler)(book, target, params, body if body is not None else {})
                    return answer
            raise ApiError(404, f"Method not found: {method} {path}")

    def _authenticate(self, headers: dict[str, str], kind: Kind) -> None:
        if not self.require_auth:
            return
        challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        header = headers.get("authorization", "")
        if not header:
            raise ApiError(401, MISSING_CREDENTIALS, headers=challenge)
        scheme, _, token = header.partition(" ")
        issued = self._tokens.get(token.strip())
        if scheme.lower() != "bearer" or issued is None or issued.expires_at <= self.clock():
            raise ApiError(401, FAULT_MESSAGES[401], headers=challenge)
        allowed = WRITE_SCOPES if kind == "write" else WRITE_SCOPES | READ_ONLY_SCOPES
        if not issued.scopes & allowed:
            raise ApiError(403, "Request had insufficient authentication scopes.")

    def _charge_quota(self, kind: Kind) -> None:
        limit = self.read_limit_per_minute if kind == "read" else self.write_limit_per_minute
        seen = self._quota_seen["read" if kind == "read" else "write"]
        now = self.clock()
        while seen and seen[0] <= now - 60:
            seen.popleft()
        if limit is not None and len(seen) >= limit:
            raise quota_exceeded(kind)
        seen.append(now)

    # --- token endpoint ----------------------------------------------------------------------------------------------

    def _token(self, method: str, form: dict[str, str]) -> Reply:
        def refuse(error: str, description: str) -> Reply:
            return Reply(400, {"error": error, "error_description": description})

        if method != "POST":
            return Reply(405, {"error": "invalid_request", "error_description": "POST required"})
        if form.get("grant_type") != JWT_BEARER:
            return refuse("unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}")
        try:
            header, claims, signing_input, signature = decode_jwt(form.get("assertion", ""))
        except ValueError:
            return refuse("invalid_grant", "Invalid JWT: Bad assertion.")
        if header.get("alg") != "RS256":
            return refuse("invalid_grant", "Invalid JWT Signature.")
        with self._lock:
            keys = dict(self._accounts.get(str(claims.get("iss", "")), {}))
        if not keys:
            return refuse("invalid_grant", "Invalid grant: account not found")
        kid = header.get("kid")
        candidates = [keys[kid]] if isinstance(kid, str) and kid in keys else list(keys.values())
        if not any(_verifies(key, signing_input, signature) for key in candidates):
            return refuse("invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") not in (*GOOGLE_TOKEN_AUDIENCES, self.token_url):
            return refuse(
                "invalid_grant",
                f"Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_AUDIENCES[0]}",
            )
        now = time.time()
        issued_at, expires = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(issued_at, int | float)
            or not isinstance(expires, int | float)
            or issued_at > now + 300
            or expires < now - 300
            or expires - issued_at > TOKEN_LIFETIME_S
        ):
            return refuse(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
                "iat and exp values in the JWT claim.",
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes & (WRITE_SCOPES | READ_ONLY_SCOPES):
            return refuse("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = _Token(str(claims["iss"]), scopes, self.clock() + TOKEN_LIFETIME_S)
        return Reply(200, {"access_token": token, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"})

    # --- spreadsheet endpoints ---------------------------------------------------------------------------------------

    def _get_metadata(self, book: Spreadsheet, _target: str, params: dict[str, Any], _body: Any) -> Any:
        return _masked(book.metadata(), str(params.get("fields") or ""))

    def _resolve(self, book: Spreadsheet, text: str) -> tuple[Sheet, A1Range]:
        try:
            target = parse_range(text)
        except A1Error:
            raise invalid(f"Unable to parse range: {text}") from None
        sheet = book.sheets[0] if target.sheet is None else book.find(target.sheet)
        if sheet is None:
            raise invalid(f"Unable to parse range: {text}")
        return sheet, target

    def _read(self, book: Spreadsheet, text: str, params: dict[str, Any]) -> dict[str, Any]:
        value_render = _enum(params, "valueRenderOption", VALUE_RENDERS, "FORMATTED_VALUE")
        date_render = _enum(params, "dateTimeRenderOption", DATE_RENDERS, "SERIAL_NUMBER")
        major = _enum(params, "majorDimension", DIMENSIONS, "ROWS")
        sheet, target = self._resolve(book, text)
        top, left = target.start_row or 0, target.start_col or 0
        bottom = target.end_row if target.end_row is not None else sheet.row_count
        right = target.end_col if target.end_col is not None else sheet.column_count
        if top >= sheet.row_count or left >= sheet.column_count:
            raise _beyond_grid(sheet, top, left, bottom, right)
        bottom, right = min(bottom, sheet.row_count), min(right, sheet.column_count)
        grid = [[sheet.cell(r, c) for c in range(left, right)] for r in range(top, min(bottom, len(sheet.rows)))]
        lines = _transpose(grid) if major == "COLUMNS" else grid
        lines = [_trimmed(line) for line in lines]
        while lines and not lines[-1]:
            lines.pop()
        answer: dict[str, Any] = {"range": area_name(sheet.title, top, left, bottom, right), "majorDimension": major}
        if lines:
            answer["values"] = [[render(cell, value_render, date_render) for cell in line] for line in lines]
        return answer

    def _values_get(self, book: Spreadsheet, target: str, params: dict[str, Any], _body: Any) -> Any:
        return self._read(book, target, params)

    def _values_batch_get(self, book: Spreadsheet, _target: str, params: dict[str, Any], _body: Any) -> Any:
        answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        ranges = params["ranges"]
        if ranges:
            answer["valueRanges"] = [self._read(book, text, params) for text in ranges]
        return answer

    def _plan(
        self, book: Spreadsheet, text: str, values: Any, major: str, input_option: str, where: str, bounded: bool = True
    ) -> Write:
        """Validate one write (range, grid limits, cell contents) without changing anything."""
        sheet, target = self._resolve(book, text)
        if values is None:
            values = []
        if not isinstance(values, list) or not all(isinstance(line, list) for line in values):
            raise invalid(f"Invalid {where}: values must be a list of lists")
        lines = _transpose(values) if major == "COLUMNS" else values
        cells = [
            [_parse_written(v, input_option, f"{where}.values[{r}][{c}]") for c, v in enumerate(line)]
            for r, line in enumerate(lines)
        ]
        write = Write(sheet, target.start_row or 0, target.start_col or 0, cells)
        if bounded and not target.single_cell and not target.whole_sheet:
            shown = area_name(sheet.title, write.row, write.col, target.end_row or 1, target.end_col or 1)
            if target.end_row is not None and write.row + write.height > target.end_row:
                raise invalid(
                    f"Requested writing within range [{shown}], but tried writing to row [{write.row + write.height}]"
                )
            if target.end_col is not None and write.col + write.width > target.end_col:
                column = column_letters(write.col + write.width - 1)
                raise invalid(f"Requested writing within range [{shown}], but tried writing to column [{column}]")
        return write

    def _check_grid(self, write: Write) -> None:
        bottom, right = write.row + max(write.height, 1), write.col + max(write.width, 1)
        if bottom > write.sheet.row_count or right > write.sheet.column_count:
            raise _beyond_grid(write.sheet, write.row, write.col, bottom, right)

    def _values_batch_update(self, book: Spreadsheet, _target: str, _params: dict[str, Any], body: Any) -> Any:
        input_option = _input_option(body.get("valueInputOption"))
        plans: list[Write] = []
        for index, entry in enumerate(body.get("data") or []):
            if not isinstance(entry, dict):
                raise invalid(f"Invalid data[{index}]: a ValueRange object is expected.")
            major = _enum(entry, "majorDimension", DIMENSIONS, "ROWS")
            write = self._plan(
                book, str(entry.get("range", "")), entry.get("values"), major, input_option, f"data[{index}]"
            )
            self._check_grid(write)
            plans.append(write)
        for write in plans:  # nothing is applied unless every part is valid
            write.apply()
        answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if plans:
            responses = [write.summary(book.spreadsheet_id) for write in plans]
            for total, part in (
                ("totalUpdatedRows", "updatedRows"),
                ("totalUpdatedColumns", "updatedColumns"),
                ("totalUpdatedCells", "updatedCells"),
            ):
                answer[total] = sum(r.get(part, 0) for r in responses)
            answer["totalUpdatedSheets"] = len(
                {id(w.sheet) for w, r in zip(plans, responses, strict=True) if r.get("updatedCells")}
            )
            answer = {k: v for k, v in answer.items() if v != 0}
            answer["responses"] = responses
        return answer

    def _values_update(self, book: Spreadsheet, target: str, params: dict[str, Any], body: Any) -> Any:
        input_option = _input_option(params.get("valueInputOption"))
        if body.get("range") and body["range"] != target:
            raise invalid(f"Requested range [{target}] does not match range in body [{body['range']}]")
        major = _enum(body, "majorDimension", DIMENSIONS, "ROWS")
        write = self._plan(book, target, body.get("values"), major, input_option, "values")
        self._check_grid(write)
        write.apply()
        answer = write.summary(book.spreadsheet_id)
        if _flag(params, "includeValuesInResponse"):
            answer["updatedData"] = self._read(book, answer["updatedRange"], _response_render(params))
        return answer

    def _values_append(self, book: Spreadsheet, target: str, params: dict[str, Any], body: Any) -> Any:
        input_option = _input_option(params.get("valueInputOption"))
        insert = _enum(params, "insertDataOption", INSERT_OPTIONS, "OVERWRITE")
        major = _enum(body, "majorDimension", DIMENSIONS, "ROWS")
        sheet, where = self._resolve(book, target)
        write = self._plan(book, target, body.get("values"), major, input_option, "values", bounded=False)
        last = sheet.last_data_row()
        write.row = max(last + 1, where.start_row or 0)
        write.col = where.start_col or 0
        rows = max(sheet.row_count, write.row + write.height)
        if insert == "INSERT_ROWS":
            rows = max(rows, sheet.row_count + write.height)
        columns = max(sheet.column_count, write.col + write.width)
        grown = replace(sheet, row_count=rows, column_count=columns)
        _check_workbook_size([grown if s is sheet else s for s in book.sheets])
        sheet.row_count, sheet.column_count = rows, columns
        answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id}
        if last >= 0:
            first = next(i for i, line in enumerate(sheet.rows) if any(c is not None for c in line))
            widest = max(len(_trimmed(line)) for line in sheet.rows[: last + 1])
            answer["tableRange"] = area_name(sheet.title, first, write.col, last + 1, max(widest, write.col + 1))
        write.apply()
        answer["updates"] = write.summary(book.spreadsheet_id)
        if _flag(params, "includeValuesInResponse"):
            updated = answer["updates"]["updatedRange"]
            answer["updates"]["updatedData"] = self._read(book, updated, _response_render(params))
        return answer

    def _clear(self, book: Spreadsheet, text: str) -> str:
        sheet, target = self._resolve(book, text)
        top, left = target.start_row or 0, target.start_col or 0
        bottom = min(target.end_row if target.end_row is not None else sheet.row_count, sheet.row_count)
        right = min(target.end_col if target.end_col is not None else sheet.column_count, sheet.column_count)
        for r in range(top, min(bottom, len(sheet.rows))):
            for c in range(left, min(right, len(sheet.rows[r]))):
                sheet.rows[r][c] = None
        return area_name(sheet.title, top, left, bottom, right)

    def _values_clear(self, book: Spreadsheet, target: str, _params: dict[str, Any], _body: Any) -> Any:
        return {"spreadsheetId": book.spreadsheet_id, "clearedRange": self._clear(book, target)}

    def _values_batch_clear(self, book: Spreadsheet, _target: str, _params: dict[str, Any], body: Any) -> Any:
        ranges = [str(r) for r in body.get("ranges") or []]
        for text in ranges:
            self._resolve(book, text)
        return {"spreadsheetId": book.spreadsheet_id, "clearedRanges": [self._clear(book, text) for text in ranges]}

    def _batch_update(self, book: Spreadsheet, _target: str, _params: dict[str, Any], body: Any) -> Any:
        """Apply the requests in order on copies of the sheets; keep them only when all succeed (atomic)."""
        requests_ = body.get("requests") or []
        sheets = [replace(s) for s in book.sheets]
        next_id = book.next_sheet_id
        replies: list[dict[str, Any]] = []
        for index, request in enumerate(requests_):
            if not isinstance(request, dict) or len(request) != 1:
                raise invalid(f"Invalid requests[{index}]: exactly one kind of request is expected.")
            name, spec = next(iter(request.items()))
            scratch = Spreadsheet(book.spreadsheet_id, book.title, sheets, next_id)
            if name == "addSheet":
                replies.append({"addSheet": {"properties": _add_sheet(scratch, spec or {}, index)}})
            elif name == "deleteSheet":
                _delete_sheet(scratch, spec or {}, index)
                replies.append({})
            elif name == "appendDimension":
                _append_dimension(scratch, spec or {}, index)
                replies.append({})
            elif name == "updateSheetProperties":
                _update_sheet_properties(scratch, spec or {}, index)
                replies.append({})
            else:
                raise invalid(
                    f"Invalid JSON payload received. Unknown name \"{name}\" at 'requests[{index}]': Cannot find field."
                )
            sheets, next_id = scratch.sheets, scratch.next_sheet_id
            _check_workbook_size(sheets)
        book.sheets, book.next_sheet_id = sheets, next_id
        return {"spreadsheetId": book.spreadsheet_id, "replies": replies}


# --- batchUpdate requests (they work on a scratch copy; see _batch_update) --------------------------------------------


def _add_sheet(book: Spreadsheet, spec: dict[str, Any], index: int) -> dict[str, Any]:
    props = spec.get("properties") or {}
    title = props.get("title")
    if not title:
        number = len(book.sheets) + 1
        while book.find(f"Sheet{number}"):
            number += 1
        title = f"Sheet{number}"
    if book.find(title):
        raise invalid(
            f'Invalid requests[{index}].addSheet: A sheet with the name "{title}" already exists. '
            "Please enter another name."
        )
    sheet_id = props.get("sheetId")
    if sheet_id is None:
        sheet_id = book.next_sheet_id
        while book.by_id(sheet_id):
            sheet_id += 1
    elif book.by_id(sheet_id):
        raise invalid(f"Invalid requests[{index}].addSheet: Sheet with id {sheet_id} already exists.")
    book.next_sheet_id = max(book.next_sheet_id, int(sheet_id) + 1)
    grid = props.get("gridProperties") or {}
    rows, columns = int(grid.get("rowCount", DEFAULT_GRID[0])), int(grid.get("columnCount", DEFAULT_GRID[1]))
    if rows < 1 or columns < 1:
        raise invalid(f"Invalid requests[{index}].addSheet: the grid must have at least one row and one column.")
    sheet = Sheet(int(sheet_id), str(title), rows, columns)
    position = min(int(props.get("index", len(book.sheets))), len(book.sheets))
    book.sheets = [*book.sheets[:position], sheet, *book.sheets[position:]]
    return sheet.properties(position)


def _target_sheet(book: Spreadsheet, sheet_id: Any, where: str) -> Sheet:
    sheet = book.by_id(sheet_id)
    if sheet is None:
        raise invalid(f"Invalid {where}: No grid with id: {sheet_id}")
    return sheet


def _delete_sheet(book: Spreadsheet, spec: dict[str, Any], index: int) -> None:
    where = f"requests[{index}].deleteSheet"
    sheet = _target_sheet(book, spec.get("sheetId"), where)
    if len(book.sheets) == 1:
        raise invalid(f"Invalid {where}: You can't remove all the sheets in a document.")
    book.sheets = [s for s in book.sheets if s is not sheet]


def _append_dimension(book: Spreadsheet, spec: dict[str, Any], index: int) -> None:
    where = f"requests[{index}].appendDimension"
    sheet = _target_sheet(book, spec.get("sheetId"), where)
    length = int(spec.get("length") or 0)
    if length < 1:
        raise invalid(f"Invalid {where}: length must be positive")
    dimension = spec.get("dimension")
    if dimension == "ROWS":
        grown = replace(sheet, row_count=sheet.row_count + length)
    elif dimension == "COLUMNS":
        grown = replace(sheet, column_count=sheet.column_count + length)
    else:
        raise invalid(f"Invalid {where}: dimension must be ROWS or COLUMNS")
    book.sheets = [grown if s is sheet else s for s in book.sheets]


def _update_sheet_properties(book: Spreadsheet, spec: dict[str, Any], index: int) -> None:
    where = f"requests[{index}].updateSheetProperties"
    props = spec.get("properties") or {}
    sheet = _target_sheet(book, props.get("sheetId"), where)
    changed = replace(sheet)
    title = props.get("title")
    if title is not None and title != sheet.title:
        other = book.find(title)
        if other is not None and other is not sheet:
            raise invalid(
                f'Invalid {where}: A sheet with the name "{title}" already exists. Please enter another name.'
            )
        changed.title = str(title)
    grid = props.get("gridProperties") or {}
    rows, columns = int(grid.get("rowCount", sheet.row_count)), int(grid.get("columnCount", sheet.column_count))
    if rows < 1 or columns < 1:
        raise invalid(f"Invalid {where}: the grid must have at least one row and one column.")
    if rows < sheet.row_count or columns < sheet.column_count:  # shrinking deletes what falls outside
        changed.rows = sheet.truncated(rows, columns)
    changed.row_count, changed.column_count = rows, columns
    sheets = [changed if s is sheet else s for s in book.sheets]
    position = props.get("index")
    if position is not None:
        sheets.remove(changed)
        sheets.insert(min(int(position), len(sheets)), changed)
    book.sheets = sheets


def _masked(document: Any, fields: str) -> Any:
    """Keep only the fields named in a simple mask (`sheets.properties,spreadsheetId`); `*`, no mask or the
    parenthesized form (`sheets(properties)`, not understood here) keep everything."""
    paths = [p.strip().split(".") for p in fields.split(",") if p.strip()]
    if not paths or "(" in fields or any(p == ["*"] for p in paths):
        return document

    def keep(node: Any, wanted: list[list[str]]) -> Any:
        if any(not path for path in wanted):
            return node
        if isinstance(node, list):
            return [keep(item, wanted) for item in node]
        if not isinstance(node, dict):
            return node
        answer = {}
        for name in dict.fromkeys(path[0] for path in wanted):
            if name in node:
                answer[name] = keep(node[name], [path[1:] for path in wanted if path[0] == name])
        return answer

    return keep(document, paths)


def _input_option(value: Any) -> str:
    if value is None or value == "" or value == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise invalid("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    if value not in INPUT_OPTIONS:
        raise invalid(f"Invalid value at 'value_input_option', \"{value}\"")
    return str(value)


def _response_render(params: Mapping[str, Any]) -> dict[str, Any]:
    """How written values are echoed back (responseValueRenderOption, responseDateTimeRenderOption)."""
    return {
        "valueRenderOption": params.get("responseValueRenderOption"),
        "dateTimeRenderOption": params.get("responseDateTimeRenderOption"),
    }


def _trimmed(line: list[Cell | None]) -> list[Cell | None]:
    end = len(line)
    while end and line[end - 1] is None:
        end -= 1
    return line[:end]


def _beyond_grid(sheet: Sheet, top: int, left: int, bottom: int, right: int) -> ApiError:
    shown = area_name(sheet.title, top, left, bottom, right, quoted=True)
    return invalid(
        f"Range ({shown}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


# --- JWT -------------------------------------------------------------------------------------------------------------


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signed bytes, signature) of a compact JWT; ValueError when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("a JWT has three parts")
    header, claims = json.loads(_b64decode(parts[0])), json.loads(_b64decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("JWT header and claims are JSON objects")
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), _b64decode(parts[2])


def _verifies(key: rsa.RSAPublicKey, signed: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# --- test helpers ----------------------------------------------------------------------------------------------------


@functools.cache
def rsa_key(slot: int = 0) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key, made once per process and slot (slot 1 is "some other key", for bad-signature tests)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(slot: int = 0) -> str:
    return (
        rsa_key(slot)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode("ascii")
    )


def key_id(slot: int = 0) -> str:
    der = (
        rsa_key(slot)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha1(der).hexdigest()


def service_account_info(
    server: FakeSheetsServer, client_email: str = DEFAULT_CLIENT_EMAIL, key_slot: int = 0, register: bool = True
) -> dict[str, Any]:
    """A service-account key file (as a dict) whose token_uri is the server's; its public key is registered with the
    server (which then requires tokens) unless register=False."""
    if register:
        server.register_service_account(client_email, rsa_key(key_slot).public_key(), key_id(key_slot))
    project_id = "fake-project"
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": key_id(key_slot),
        "private_key": private_key_pem(key_slot),
        "client_email": client_email,
        "client_id": str(int(hashlib.sha256(client_email.encode()).hexdigest()[:16], 16)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": server.token_url,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{client_email}",
        "universe_domain": "googleapis.com",
    }


def mount_rewriting(session: requests.Session, server: FakeSheetsServer) -> requests.Session:
    """Make `session` (a plain Session or google-auth's AuthorizedSession) talk to the fake server."""
    for prefix in GOOGLE_HOSTS:
        session.mount(prefix, EndpointAdapter(server.base_url))  # the pipeline's own endpoint override
    return session


def rewriting_session(server: FakeSheetsServer) -> requests.Session:
    """A Session for `gspread.Client(auth=None, session=...)` that reaches the fake server."""
    return mount_rewriting(requests.Session(), server)


@pytest.fixture
def sheets_server() -> Iterator[FakeSheetsServer]:
    """A started FakeSheetsServer without auth, stopped after the test."""
    with FakeSheetsServer() as server:
        yield server
