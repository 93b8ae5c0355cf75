"""Every shared-cache test runs on both backends: the SQLite file (the default) and a real PostgreSQL database."""

from tests.core.shared_cache.backends import location, postgres_database, postgres_server

__all__ = ["location", "postgres_database", "postgres_server"]
