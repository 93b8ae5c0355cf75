"""The home folder and the default places under it. No Dagster import: light commands (`sql`) find the catalog here."""

from pathlib import Path

from pipeline_defs import environment
from pipeline_defs.variables import HOME, variable_for

PROJECT_ROOT = environment.PROJECT_ROOT


def default_home() -> Path:
    """`<project>/var` in a checkout; `./var` when the package is installed elsewhere."""
    root = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").is_file() else Path.cwd()
    return root / "var"


def home_from(text: str) -> Path:
    """The home folder a CONTENT_PIPELINE_HOME value names (the default when blank)."""
    return Path(text.strip() or default_home()).expanduser().resolve()


def home_defaults(home: Path) -> dict[str, Path]:
    """The default of every path field without a default of its own: a place under the home folder."""
    return {
        "inbox.path": home / "inbox",
        "warehouse.root": home / "warehouse",
        "warehouse.catalog": home / "catalog.duckdb",
        "fetcher.http_cache": home / "cache" / "http.sqlite",
        "gemini.ai_cache": home / "cache" / "ai.sqlite",
        "exporter.output": home / "output",
        "exporter.moved_images": home / "cache" / "moved-images.sqlite",
    }


def catalog_path() -> Path:
    """The DuckDB catalog the environment names, without building the settings (no Dagster import)."""
    text = environment.variable(variable_for("warehouse", "catalog")).strip()
    if text:
        return Path(text).expanduser().resolve()
    return home_defaults(home_from(environment.variable(HOME)))["warehouse.catalog"]


def warehouse_root_setting() -> str:
    """The warehouse root the environment names (a folder or s3://bucket/prefix), without building the settings."""
    text = environment.variable(variable_for("warehouse", "root")).strip()
    return text or str(home_defaults(home_from(environment.variable(HOME)))["warehouse.root"])
