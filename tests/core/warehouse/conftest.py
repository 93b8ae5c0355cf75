"""The warehouse's behaviour tests run on both storages: a local folder and an S3-compatible store on 127.0.0.1."""

from pathlib import Path

import pytest

from content_pipeline.warehouse.storage import Location
from tests.fakes.s3_server import s3_endpoint as s3_endpoint  # the fixtures
from tests.fakes.s3_server import s3_root as s3_root


@pytest.fixture(params=["folder", "s3"])
def warehouse_root(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """A warehouse root in a temporary folder, or in a new bucket of the local S3 server."""
    if request.param == "s3":
        return str(request.getfixturevalue("s3_root"))
    return tmp_path / "warehouse"
