"""The Sheets client under quotas: bounded retries, Retry-After, a timeout, a rate limit, service-account sign-in."""

from collections.abc import Callable
from datetime import date

import pytest
import requests

from content_pipeline.sheets.cells import column_letter
from content_pipeline.sheets.connect import connect, credentials_from
from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.http_client import shared_limiter
from content_pipeline.sheets.settings import SheetsSettings
from content_pipeline.sheets.source import read_day
from content_pipeline.sheets.workbook import Workbook
from tests.core.sheets.conftest import SPREADSHEET
from tests.fakes.sheets_server import FakeSheetsServer, service_account_info

TODAY = date(2026, 11, 24)


@pytest.fixture
def links(sheets_server: FakeSheetsServer) -> FakeSheetsServer:
    sheets_server.add_spreadsheet(SPREADSHEET, "Links", {"Links": [["url"], ["https://example.org/a"]]})
    return sheets_server


def test_a_429_storm_ends_in_a_clear_failure_after_the_configured_attempts(
    links: FakeSheetsServer, workbook: Callable[..., Workbook], sleeps: list[float]
) -> None:
    links.always_fail(429)
    with pytest.raises(SheetsError) as failure:
        read_day(workbook(max_attempts=4), TODAY, TODAY)
    message = str(failure.value)
    assert "gave up after 4 attempts" in message and "HTTP 429 RESOURCE_EXHAUSTED" in message
    assert "CONTENT_PIPELINE_SHEETS_REQUESTS_PER_MINUTE" in message
    assert len(links.requests) == 4 and len(sleeps) == 3
    assert all(0 <= s <= 32 for s in sleeps)


def test_a_few_429s_are_waited_out_honoring_retry_after(
    links: FakeSheetsServer, workbook: Callable[..., Workbook], sleeps: list[float]
) -> None:
    links.fail_next(2, status=429, retry_after="3")
    ingest = read_day(workbook(), TODAY, TODAY)
    assert [r["url"] for r in ingest.records] == ["https://example.org/a"]
    assert sleeps == [3.0, 3.0]


def test_a_retry_after_beyond_the_ceiling_is_capped(
    links: FakeSheetsServer, workbook: Callable[..., Workbook], sleeps: list[float]
) -> None:
    links.fail_next(1, status=503, retry_after="3600")
    read_day(workbook(retry_after_max_s=10), TODAY, TODAY)
    assert sleeps == [10.0]


def test_errors_that_will_not_go_away_are_not_retried(
    links: FakeSheetsServer, workbook: Callable[..., Workbook], sleeps: list[float]
) -> None:
    links.fail_next(1, status=400)
    with pytest.raises(SheetsError, match="HTTP 400"):
        read_day(workbook(), TODAY, TODAY)
    assert len(links.requests) == 1 and sleeps == []


def test_a_stalled_server_times_out_instead_of_hanging(
    links: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    links.delay_s = 1.0
    with pytest.raises(SheetsError, match=r"gave up after 2 attempts.*Timeout"):
        read_day(workbook(timeout_s=0.2, max_attempts=2), TODAY, TODAY)


def test_requests_are_paced_under_the_rate_and_the_limit_is_shared_per_account(
    links: FakeSheetsServer, workbook: Callable[..., Workbook]
) -> None:
    book = workbook(requests_per_minute=600, burst=0)  # one request every 0.1 s
    for _ in range(4):
        book.values("Links")
    seen = [r.received_at for r in links.requests]
    assert seen[-1] - seen[0] >= 0.29  # 3 gaps of at least ~0.1 s
    assert shared_limiter("a@x", 600, 0) is shared_limiter("a@x", 600, 0)
    assert shared_limiter("a@x", 600, 0) is not shared_limiter("b@x", 600, 0)


def test_a_service_account_signs_in_through_its_token_uri_and_a_wrong_key_is_refused(links: FakeSheetsServer) -> None:
    settings = SheetsSettings(spreadsheet_id=SPREADSHEET, requests_per_minute=0)
    info = service_account_info(links)
    book = Workbook(connect(settings, info, endpoint=links.base_url), settings, info["client_email"])
    assert [r["url"] for r in read_day(book, TODAY, TODAY).records] == ["https://example.org/a"]
    assert any(r.kind == "token" for r in links.requests)
    assert all(r.headers.get("authorization", "").startswith("Bearer ") for r in links.requests if r.kind == "read")

    wrong = service_account_info(links, key_slot=1, register=False) | {"client_email": info["client_email"]}
    refused = Workbook(connect(settings, wrong, endpoint=links.base_url), settings, wrong["client_email"])
    with pytest.raises(SheetsError, match="refused the service account's credentials") as failure:
        read_day(refused, TODAY, TODAY)
    assert "PRIVATE KEY" not in str(failure.value)


def test_credentials_that_cannot_be_used_say_what_is_wrong_without_repeating_them(tmp_path: object) -> None:
    with pytest.raises(SheetsError, match="needs a service account"):
        credentials_from(None, None)
    with pytest.raises(SheetsError, match="not valid JSON"):
        credentials_from('{"private_key": "-----BEGIN', None)
    with pytest.raises(SheetsError, match="lacks client_email, token_uri"):
        credentials_from('{"private_key": "secret"}', None)
    with pytest.raises(SheetsError, match=r"cannot read the credentials file /nonexistent/key\.json"):
        credentials_from(None, "/nonexistent/key.json")


def test_columns_are_named_as_in_a1_notation() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_the_endpoint_must_be_an_origin() -> None:
    with pytest.raises(SheetsError, match=r"not an http\(s\) origin"):
        connect(SheetsSettings(spreadsheet_id="x"), None, endpoint="ftp://host", session=requests.Session())
