import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from content_pipeline.sample_site.server import serve_sample_site
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import service_account_info
from tests.fakes.sheets_server import sheets_server as sheets_server  # the fixture


@pytest.fixture(scope="session")
def sample_site() -> Iterator[str]:
    with serve_sample_site("127.0.0.1", 0) as base_url:
        yield base_url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with every folder under a temporary home, the local model, and loopback allowed for fetching."""
    env = {"CONTENT_PIPELINE_HOME": str(tmp_path / "home"), START_DATE: TESTS_START_DATE}
    return Settings.from_env(env).allowing("127.0.0.1")


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def drive(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDriveServer]:
    """The local Drive server; its service account's key is CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON."""
    with FakeDriveServer() as server:
        monkeypatch.setenv("CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON", json.dumps(service_account_info(server)))
        yield server


def drive_settings(home: Path, server: FakeDriveServer, **variables: str) -> Settings:
    """The settings of a home that talks to the local Drive server (and may fetch from 127.0.0.1), plus `variables`."""
    env = {
        "CONTENT_PIPELINE_HOME": str(home),
        START_DATE: TESTS_START_DATE,
        "CONTENT_PIPELINE_DRIVE_ENDPOINT": server.base_url,
        "CONTENT_PIPELINE_SHEETS_CREDENTIALS_JSON": "set",  # the value is read from the environment (EnvVar)
        **variables,
    }
    return Settings.from_env(env).allowing("127.0.0.1")
