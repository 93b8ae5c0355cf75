from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from content_pipeline.schemas import INGEST_SCHEMA, frame
from content_pipeline.warehouse.partition_store import MissingPartitionError, PartitionStore


def rows(*ids: str, day: date = date(2026, 11, 24)) -> pl.DataFrame:
    return frame([{"record_id": i, "status": "ok", "added_on": day} for i in ids], INGEST_SCHEMA)


def test_a_rerun_replaces_the_partition_whole(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path)
    store.write("ingest", "2026-11-24", rows("a", "b", "c"))
    store.write("ingest", "2026-11-24", rows("a", "b"))
    assert store.read("ingest", "2026-11-24")["record_id"].to_list() == ["a", "b"]
    assert [p.name for p in (tmp_path / "ingest" / "date=2026-11-24").iterdir()] == ["part.parquet"]


def test_a_few_records_and_columns_can_be_read_without_the_rest(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path)
    store.write("ingest", "2026-11-24", rows("a", "b", "c", "d'); drop table x; --"))
    some = store.read("ingest", "2026-11-24", ["record_id", "status"], record_ids=["c", "a", "d'); drop table x; --"])
    assert sorted(some["record_id"].to_list()) == ["a", "c", "d'); drop table x; --"] and some.columns == [
        "record_id",
        "status",
    ]
    assert store.read("ingest", "2026-11-24", record_ids=[]).is_empty()


def test_an_empty_partition_keeps_its_column_types(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path)
    store.write("ingest", "2026-11-24", rows())
    assert store.read("ingest", "2026-11-24").schema == pl.Schema(INGEST_SCHEMA)


def test_a_write_that_fails_midway_leaves_the_old_partition_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PartitionStore(tmp_path)
    store.write("ingest", "2026-11-24", rows("a"))

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("content_pipeline.warehouse.local_storage.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.write("ingest", "2026-11-24", rows("b", "c"))
    assert store.read("ingest", "2026-11-24")["record_id"].to_list() == ["a"]
    assert [p.name for p in (tmp_path / "ingest" / "date=2026-11-24").iterdir()] == ["part.parquet"]


def test_reading_a_missing_partition_says_what_to_materialize(tmp_path: Path) -> None:
    with pytest.raises(MissingPartitionError, match="materialize fetch for 2026-11-24 first"):
        PartitionStore(tmp_path).read("fetch", "2026-11-24")


def test_hostile_asset_names_and_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        PartitionStore(tmp_path).path("ingest", "../../etc")


def test_the_catalog_has_a_view_per_asset_over_all_partitions(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path / "warehouse")
    store.write("ingest", "2026-11-23", rows("a", day=date(2026, 11, 23)))
    store.write("ingest", "2026-11-24", rows("b", "c"))
    catalog = str(tmp_path / "catalog.duckdb")
    assert store.refresh_catalog(lambda: duckdb.connect(catalog)) == ["ingest"]
    with duckdb.connect(catalog, read_only=True) as con:
        counts = con.sql("select date, count(*) from ingest group by 1 order by 1").fetchall()
    assert counts == [(date(2026, 11, 23), 1), (date(2026, 11, 24), 2)]


def test_a_range_with_missing_days_fails_before_reading_and_names_every_gap(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path)
    store.write("ingest", "2026-11-23", rows("a"))
    days = ["2026-11-22", "2026-11-23", "2026-11-24"]
    assert store.missing("ingest", days) == ["2026-11-22", "2026-11-24"]
    with pytest.raises(MissingPartitionError, match="for 2026-11-22, 2026-11-24: materialize ingest for them first"):
        store.require("ingest", days)
    store.require("ingest", ["2026-11-23"])


@pytest.mark.parametrize("folder", ["home [1]", "star*mark", "x[ab]y"])
def test_a_warehouse_under_a_folder_with_glob_characters_is_read_and_cataloged(tmp_path: Path, folder: str) -> None:
    (tmp_path / "home 1").mkdir()  # what `[1]` would match as a pattern: must not be read instead
    store = PartitionStore(tmp_path / folder / "warehouse")
    store.write("ingest", "2026-11-24", rows("a", "b"))
    assert store.read("ingest", "2026-11-24")["record_id"].to_list() == ["a", "b"]
    catalog = str(tmp_path / folder / "catalog.duckdb")
    assert store.refresh_catalog(lambda: duckdb.connect(catalog)) == ["ingest"]
    with duckdb.connect(catalog, read_only=True) as con:
        assert con.sql("select count(*) from ingest").fetchall() == [(2,)]
