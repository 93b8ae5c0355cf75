"""Where a fresh machine gets PostgreSQL from: the `pgserver` wheel that `uv sync` installs runs a real server."""

import pytest

from tests.instance.postgres_server import PG_BIN_ENV, pgserver_bin, running_postgres


def test_the_pgserver_wheel_runs_a_server_when_the_system_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = pgserver_bin()
    assert wheel is not None, "pgserver is not installed: `uv sync` installs it (a dev dependency)"
    monkeypatch.setenv(PG_BIN_ENV, str(wheel))  # chosen first, as the only binaries would be on a fresh machine
    with running_postgres() as server:
        assert server.bin_dir == wheel
        connection = server.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("select version()")
                (version,) = cursor.fetchone()
        finally:
            connection.close()
    assert version.startswith("PostgreSQL 16")
