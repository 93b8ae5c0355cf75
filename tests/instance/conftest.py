"""The real PostgreSQL server fixtures (see postgres_server.py) for the instance tests."""

from tests.instance.postgres_server import postgres_database, postgres_server

__all__ = ["postgres_database", "postgres_server"]
