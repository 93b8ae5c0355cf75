import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from content_pipeline.warehouse.catalog import CatalogBusyError, open_catalog

HOLD_CATALOG = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(120)
"""


def test_a_refresh_gives_up_quickly_and_says_why_while_another_process_holds_the_catalog(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    duckdb.connect(str(catalog)).close()
    reader = subprocess.Popen([sys.executable, "-c", HOLD_CATALOG, str(catalog)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(CatalogBusyError, match="another process holds it") as caught, open_catalog(catalog, 0.5):
            pass
        assert time.monotonic() - started < 30, "a held catalog must not be waited on for long"  # hang guard
        assert "views that exist already see every partition" in str(caught.value)
    finally:
        reader.kill()
        reader.wait()
    with open_catalog(catalog) as connection:  # once the reader is gone, the refresh works again
        connection.execute("create or replace view v as select 1 as one")
