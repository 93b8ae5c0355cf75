"""The `location` fixture: a cache on both backends, the SQLite file (the default) and a real PostgreSQL database."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.instance.postgres_server import PostgresServer, postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A cache setting's value as a user writes it: a file path, or a bare postgresql:// URL with a password."""
    if request.param == "sqlite":
        yield str(tmp_path / "cache" / "cache.sqlite")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    database: str = request.getfixturevalue("postgres_database")
    yield server.url(database, scheme="postgresql")
