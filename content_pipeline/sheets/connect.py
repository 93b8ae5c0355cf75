"""A gspread client for one service account: credentials from the environment, bounded requests, optional endpoint."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter

from content_pipeline.sheets.errors import SheetsError
from content_pipeline.sheets.http_client import BoundedHTTPClient
from content_pipeline.sheets.settings import SheetsSettings

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
GOOGLE_API_ORIGINS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class EndpointAdapter(HTTPAdapter):
    """Sends requests meant for Google's API hosts to another origin (an emulator, a proxy, a local test server)."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        parts = urlsplit(endpoint)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise SheetsError(f"the Sheets endpoint {endpoint!r} is not an http(s) origin like http://host:port")
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        request.url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, ""))
        return super().send(request, *args, **kwargs)


def credentials_from(info_json: str | None, info_file: str | None) -> dict[str, Any]:
    """The service-account key as a dict, from JSON text or a file; the message never repeats the key."""
    if info_json:
        source, text = "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON", info_json
    elif info_file:
        source = f"the credentials file {info_file}"
        try:
            with open(info_file, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise SheetsError(f"cannot read {source}: {exc.strerror}") from None
    else:
        raise SheetsError(
            "Google Sheets needs a service account: set CONTENT_PIPELINE_SHEETS_CREDENTIALS_FILE to its JSON key "
            "file, or CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON to the key itself"
        )
    try:
        info = json.loads(text)
    except json.JSONDecodeError:
        raise SheetsError(f"{source} is not valid JSON (a service-account key file is expected)") from None
    missing = [k for k in ("client_email", "private_key", "token_uri") if not (isinstance(info, dict) and k in info)]
    if missing:
        raise SheetsError(f"{source} is not a service-account key: it lacks {', '.join(missing)}")
    return dict(info)


def connect(
    settings: SheetsSettings,
    credentials: Mapping[str, Any] | None,
    endpoint: str | None = None,
    session: requests.Session | None = None,
) -> gspread.Client:
    """A client that authenticates as the service account (or uses `session` as given when there are none)."""
    account = "anonymous"
    if credentials is not None:
        try:
            creds = service_account.Credentials.from_service_account_info(dict(credentials), scopes=list(SCOPES))
        except (ValueError, GoogleAuthError) as exc:
            raise SheetsError(f"the service-account key cannot be used: {type(exc).__name__}") from None
        session = AuthorizedSession(creds, refresh_timeout=settings.timeout_s)
        account = str(credentials.get("client_email"))
    elif session is None:
        raise SheetsError("Google Sheets needs service-account credentials or a session")
    if endpoint:
        adapter = EndpointAdapter(endpoint)
        for origin in GOOGLE_API_ORIGINS:
            session.mount(origin, adapter)
    client = gspread.Client(auth=None, session=session, http_client=BoundedHTTPClient)  # type: ignore[arg-type]
    http = client.http_client
    assert isinstance(http, BoundedHTTPClient)
    http.configure(settings, account)
    return client


def bounded(client: gspread.Client) -> BoundedHTTPClient:
    http = client.http_client
    if not isinstance(http, BoundedHTTPClient):
        raise TypeError("the Sheets client was not made by content_pipeline.sheets.connect")
    return http
