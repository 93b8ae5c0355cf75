"""An S3-compatible store on 127.0.0.1 for the tests: moto's server, spoken to by the real s3fs/botocore client.

moto keeps every server's buckets in one place per process, so each test gets a bucket of its own. The client finds
the server, the key and the secret in the environment, as it would a real store's (AWS_ENDPOINT_URL and friends).
"""

import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from content_pipeline.warehouse.object_storage import s3_filesystem

KEY_ID = "test-key-id"
SECRET = "test-secret-never-shown"  # a test looks for it in what a run shows and stores


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_environment(endpoint: str) -> dict[str, str]:
    """The variables a user sets to point the warehouse at this store."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.fixture
def s3_root(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`s3://<a new bucket>/warehouse`, with the environment pointing at the local store."""
    for name, value in s3_environment(s3_endpoint).items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"warehouse-{uuid.uuid4().hex[:12]}"
    s3_filesystem().mkdir(bucket)
    return f"s3://{bucket}/warehouse"
