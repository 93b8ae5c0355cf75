from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from content_pipeline.sample_site.server import serve_sample_site
from pipeline_defs.settings import Settings
from pipeline_defs.variables import START_DATE
from tests.conftest import TESTS_START_DATE
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
