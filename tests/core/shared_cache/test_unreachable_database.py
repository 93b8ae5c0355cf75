"""A shared cache database that cannot be used (nothing listening, a refused password, a missing database) stops
the stage with one line naming the setting, the database without its password, and why; never a traceback of the
driver's."""

import socket
from collections.abc import Callable

import pytest

from content_pipeline.cache_store.database import CacheDatabaseError
from content_pipeline.categorize.ai_cache import AiCache
from content_pipeline.classify.vision_cache import VisionCache
from content_pipeline.fetch.http_cache import HttpCache
from tests.instance.postgres_server import PostgresServer, postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
PASSWORD = "not-the-password-42"
CACHES: list[tuple[Callable[[str], object], str]] = [
    (HttpCache, "CONTENT_PIPELINE_HTTP_CACHE"),
    (AiCache, "CONTENT_PIPELINE_AI_CACHE"),
    (VisionCache, "CONTENT_PIPELINE_AI_CACHE"),
]


def closed_port() -> int:
    """A loopback port nobody listens on (bound for a moment, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refusal(open_cache: Callable[[str], object], url: str) -> str:
    with pytest.raises(CacheDatabaseError) as failure:
        open_cache(url)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__  # no driver traceback beneath
    return str(failure.value)


@pytest.mark.parametrize(("open_cache", "setting"), CACHES)
def test_a_closed_port_is_one_line_naming_the_setting_and_the_database(
    open_cache: Callable[[str], object], setting: str
) -> None:
    port = closed_port()
    message = refusal(open_cache, f"postgresql://cache:{PASSWORD}@127.0.0.1:{port}/caches")
    assert message.startswith(f"{setting}: ") and "\n" not in message
    assert f"postgresql+psycopg2://cache:***@127.0.0.1:{port}/caches" in message
    assert "connection refused" in message and PASSWORD not in message


def test_a_refused_password_says_so_without_showing_it(postgres_server: PostgresServer, postgres_database: str) -> None:
    server = postgres_server
    url = f"postgresql://{server.username}:{PASSWORD}@{server.host}:{server.port}/{postgres_database}"
    message = refusal(AiCache, url)
    assert message.startswith("CONTENT_PIPELINE_AI_CACHE: ") and "\n" not in message
    assert f'password authentication failed for user "{server.username}"' in message
    assert f"{server.username}:***@{server.host}:{server.port}/{postgres_database}" in message
    assert PASSWORD not in message and server.password not in message


def test_a_missing_database_is_named(postgres_server: PostgresServer) -> None:
    url = postgres_server.url("no_such_cache_db", scheme="postgresql")
    message = refusal(HttpCache, url)
    assert message.startswith("CONTENT_PIPELINE_HTTP_CACHE: ") and "\n" not in message
    assert 'database "no_such_cache_db" does not exist' in message and postgres_server.password not in message
