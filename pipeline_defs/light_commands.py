"""The commands that do not run the graph: `sql`, `sample-site` and `config`. None of them imports Dagster: `config`
reads the resources' fields from their plain pydantic models (resources/fields/)."""

import argparse
import contextlib
import threading

import duckdb

from content_pipeline.sample_site.server import serve_sample_site
from content_pipeline.warehouse.catalog import register_warehouse
from pipeline_defs.home import catalog_path, warehouse_root_setting
from pipeline_defs.user_errors import UserError
from pipeline_defs.variables import HOME, variable_for

DEMO_HOST = "127.0.0.1"
CATALOG_VARIABLE = variable_for("warehouse", "catalog")


def sample_site(args: argparse.Namespace) -> int:
    """Serve the sample site until interrupted, so the UI can rematerialize the demo's partitions."""
    try:
        with serve_sample_site(DEMO_HOST, args.port) as base_url:
            print(f"sample site at {base_url} (Ctrl-C stops it)", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    except OSError as exc:
        raise UserError(
            f"cannot serve on {DEMO_HOST}:{args.port} ({exc.strerror}): pick another --port (0: any)"
        ) from None
    return 0


def sql(args: argparse.Namespace) -> int:
    """Run one SQL statement against the catalog (read-only) and print the result."""
    catalog = catalog_path()
    if not catalog.is_file():
        raise UserError(
            f"no catalog at {catalog}: run a partition first (content-pipeline demo), "
            f"or point {CATALOG_VARIABLE} (or {HOME}) at yours"
        )
    try:
        con = duckdb.connect(str(catalog), read_only=True)
    except duckdb.Error as exc:
        raise UserError(
            f"cannot open the catalog {catalog}: {first_line(exc)} (is a run writing it? try again)"
        ) from None
    with con:
        register_warehouse(con, warehouse_root_setting())  # the views over an s3:// root read through s3fs
        try:
            result = con.sql(args.query)
            if result is not None:
                result.show(max_width=200)
        except duckdb.Error as exc:
            raise UserError(f"{first_line(exc)}{hint(con, exc)}") from None
    return 0


def first_line(error: duckdb.Error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def hint(con: duckdb.DuckDBPyConnection, error: duckdb.Error) -> str:
    """What to try: the catalog's views when a name was not found; DuckDB's own suggestion for a column."""
    lines = str(error).strip().splitlines()
    if isinstance(error, duckdb.CatalogException):
        views = con.sql("select view_name from duckdb_views() where not internal order by 1").fetchall()
        return f" (the views: {', '.join(name for (name,) in views) or 'none yet'})"
    if isinstance(error, duckdb.BinderException) and len(lines) > 1:
        return f" ({lines[1].strip()})"
    if isinstance(error, duckdb.ParserException):
        return ' (the query is one SQL statement in quotes, e.g. "select count(*) from export")'
    return ""


def config(args: argparse.Namespace) -> int:
    """Print every setting's effective value and where it came from; secrets only as set or unset."""
    from pipeline_defs.config_report import report_lines
    from pipeline_defs.setting_values import SettingValues

    print("\n".join(report_lines(SettingValues.from_env(), args.dotenv_files)))
    return 0
