"""A Drive client for the Sheets integration's service account (same key, the Drive scope), optionally pointed at
another origin (an emulator, a proxy, a local test server)."""

from collections.abc import Mapping
from typing import Any

import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from content_pipeline.drive.client import DriveClient
from content_pipeline.drive.errors import DriveError
from content_pipeline.drive.settings import DRIVE_SCOPE, DriveSettings
from content_pipeline.sheets.connect import EndpointAdapter
from content_pipeline.sheets.errors import SheetsError

GOOGLE_API_ORIGIN = "https://www.googleapis.com"  # Drive's API and upload paths both live on this host


def connect(
    settings: DriveSettings,
    credentials: Mapping[str, Any] | None,
    endpoint: str | None = None,
    session: requests.Session | None = None,
) -> DriveClient:
    """A client that authenticates as the service account (or uses `session` as given when there are none)."""
    account = "the service account"
    if credentials is not None:
        try:
            creds = service_account.Credentials.from_service_account_info(dict(credentials), scopes=[DRIVE_SCOPE])
        except (ValueError, GoogleAuthError) as exc:
            raise DriveError(f"the service-account key cannot be used: {type(exc).__name__}") from None
        session = AuthorizedSession(creds, refresh_timeout=settings.timeout_s)
        account = str(credentials.get("client_email"))
    elif session is None:
        raise DriveError("Google Drive needs service-account credentials or a session")
    if endpoint:
        try:
            adapter = EndpointAdapter(endpoint)
        except SheetsError:
            message = f"the Drive endpoint {endpoint!r} is not an http(s) origin like http://host:port"
            raise DriveError(message) from None
        session.mount(GOOGLE_API_ORIGIN, adapter)
    return DriveClient(session, settings, account)
