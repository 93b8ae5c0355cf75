"""A cache setting's value: a file path (SQLite, the embedded default) or a database URL (PostgreSQL, shared).

A URL may hold a password, so it is a secret: only `shown` (the password hidden) may appear in a message, a log
line or metadata, and the settings hand it to the resources as the name of its environment variable.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy is imported on use: `content-pipeline config` reads settings without it
    from sqlalchemy.engine import URL

DATABASE_SCHEMES = ("postgresql", "postgres")  # `postgresql+psycopg2` and the like: the part before `+`
HTTP_CACHE_SETTING = "CONTENT_PIPELINE_HTTP_CACHE"  # the variables that name the caches, for messages
AI_CACHE_SETTING = "CONTENT_PIPELINE_AI_CACHE"  # (the AI cache holds categorize's and Gemini Vision's answers)
DRIVER = "psycopg2"  # SQLAlchemy 2.1 picks psycopg 3 for a bare postgresql:// URL; psycopg2 is the one installed


class CacheLocationError(ValueError):
    """A cache setting that is neither a path nor a usable database URL (the message never shows the URL)."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A PostgreSQL URL; its repr and `shown` hide the password."""

    url: "URL" = field(repr=False)

    @property
    def shown(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.shown!r})"


CacheLocation = Path | DatabaseUrl


def looks_like_database_url(text: str) -> bool:
    """Whether a setting's text is meant as a database URL (`scheme://...`) rather than a path."""
    scheme, sep, _ = text.strip().partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum()


def database_url(text: str) -> DatabaseUrl:
    """The PostgreSQL URL `text` names (driver psycopg2 when none is named); CacheLocationError otherwise."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text.strip())
    except ArgumentError:
        raise CacheLocationError("is not a readable database URL (postgresql://user:password@host:port/db)") from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in DATABASE_SCHEMES:
        raise CacheLocationError(f"names a {backend}:// database; the shared cache supports postgresql:// only")
    if driver not in ("", DRIVER):
        raise CacheLocationError(f"names the driver {driver}; the shared cache uses {DRIVER} (postgresql://...)")
    if not url.database:
        raise CacheLocationError("names no database (postgresql://user:password@host:port/DATABASE)")
    return DatabaseUrl(url.set(drivername=f"postgresql+{DRIVER}"))


def cache_location(value: "str | Path | DatabaseUrl") -> CacheLocation:
    """A setting's value as a location: a DatabaseUrl for `postgresql://...`, a Path for anything else."""
    if isinstance(value, DatabaseUrl | Path):
        return value
    return database_url(value) if looks_like_database_url(value) else Path(value)


def shown(location: CacheLocation) -> str:
    """The location as a message may show it: the path, or the URL without its password."""
    return location.shown if isinstance(location, DatabaseUrl) else str(location)


def password_of(text: str) -> str | None:
    """The password a database URL setting holds (for redaction), None for a path or a URL without one."""
    if not looks_like_database_url(text):
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text.strip()).password  # type: ignore[return-value]
    except ArgumentError:
        return None
