"""The local Drive server of the Drive tests, and the real client signed in to it."""

from collections.abc import Iterator

import pytest

from content_pipeline.drive.client import DriveClient
from content_pipeline.drive.connect import connect
from content_pipeline.drive.settings import DriveSettings
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import service_account_info

FAST = DriveSettings(backoff_initial_s=0.0, backoff_max_s=0.0, timeout_s=10.0)  # retries without waiting


@pytest.fixture
def server() -> Iterator[FakeDriveServer]:
    with FakeDriveServer() as running:
        yield running


def client_of(server: FakeDriveServer, settings: DriveSettings = FAST) -> DriveClient:
    """The real client, authenticated by the server's token endpoint, sent to the server by the endpoint override."""
    return connect(settings, service_account_info(server), endpoint=server.base_url)
