"""The warehouse keeps its promises in a local folder and in an S3-compatible store alike: a partition is committed
whole, a rerun replaces it, a reader keeps the partition it opened, and the catalog's views read every partition."""

import random
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from content_pipeline.warehouse import object_storage
from content_pipeline.warehouse.catalog import open_catalog, register_warehouse
from content_pipeline.warehouse.chunked_partition import STAGING, to_arrow
from content_pipeline.warehouse.partition_store import MissingPartitionError, PartitionStore
from content_pipeline.warehouse.storage import Location, StorageError, storage_at

DAY = "2026-11-24"


def pages(count: int, prefix: str = "r") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": [f"{prefix}{i:05d}" for i in range(count)],
            "body": [f"<p>{prefix} page {i}</p>".encode() * 40 for i in range(count)],
            "status": ["ok" if i % 5 else "http_error" for i in range(count)],
        },
        schema={"record_id": pl.String(), "body": pl.Binary(), "status": pl.String()},
    )


def noise(count: int, prefix: str) -> pl.DataFrame:
    """Rows whose bodies do not compress: the file is as large as they are (1 KiB a row)."""
    generator = random.Random(prefix)
    return pl.DataFrame(
        {
            "record_id": [f"{prefix}{i:05d}" for i in range(count)],
            "body": [generator.randbytes(1024) for _ in range(count)],
        }
    )


def files_in(store: PartitionStore, *folder: str) -> list[str]:
    """The names of the files in a folder of the warehouse (objects under a prefix in a store)."""
    return sorted(store.storage.names(store.storage.join(store.root, *folder), "*"))


def test_chunks_committed_at_once_are_read_back_by_slices_chunks_and_columns(warehouse_root: Location) -> None:
    store = PartitionStore(warehouse_root)
    data = pages(250)
    partition = store.chunked("fetch", DAY, "stamp-1")
    for index in range(3):
        partition.write_chunk(index, data.slice(index * 100, 100))
    assert partition.done() == {0, 1, 2}
    committed = partition.commit(3)
    assert committed.rows == 250 and committed.path == store.location("fetch", DAY)
    assert store.exists("fetch", DAY) and store.stored_version("fetch", DAY) == committed.content_version
    with store.reader("fetch", DAY) as reader:
        assert reader.rows == 250 and reader.starts == [0, 100, 200, 250]  # one row group per chunk
        assert reader.slice(95, 105, ["record_id"])["record_id"].to_list() == [f"r{i:05d}" for i in range(95, 105)]
        assert [(index, len(rows)) for index, rows in reader.chunks(100, ["status"])] == [(0, 100), (1, 100), (2, 50)]
        assert reader.chunk(1, 100, ["status", "not_there"]).columns == ["status"]
    assert store.read("fetch", DAY).equals(data)
    some = store.read("fetch", DAY, ["record_id", "status"], record_ids=["r00007", "r00200"])
    assert sorted(some["record_id"].to_list()) == ["r00007", "r00200"] and some.columns == ["record_id", "status"]
    assert files_in(store, STAGING, "fetch", f"date={DAY}") == []  # the staged chunks are gone
    assert files_in(store, "fetch", f"date={DAY}") == ["part.parquet"]


def test_a_rerun_replaces_the_partition_whole_without_duplicates(warehouse_root: Location) -> None:
    store = PartitionStore(warehouse_root)
    store.write("ingest", DAY, pages(30))
    first_identity = store.identity("ingest", DAY)
    store.write("ingest", DAY, pages(20))
    assert store.read("ingest", DAY)["record_id"].to_list() == [f"r{i:05d}" for i in range(20)]
    assert store.identity("ingest", DAY) != first_identity
    rerun = store.chunked("ingest", DAY, "stamp-2")
    rerun.write_chunk(0, pages(12, "n"))
    rerun.commit(1)
    stored = store.read("ingest", DAY)
    assert stored["record_id"].to_list() == [f"n{i:05d}" for i in range(12)] and stored["record_id"].is_unique().all()
    assert files_in(store, "ingest", f"date={DAY}") == ["part.parquet"]


def test_a_reader_opened_before_a_commit_keeps_reading_the_partition_it_opened(warehouse_root: Location) -> None:
    store = PartitionStore(warehouse_root)
    old, new = noise(7000, "old"), noise(700, "new")  # 7 MiB: more than one read ahead of a remote file
    store.write("fetch", DAY, old)
    with store.reader("fetch", DAY) as before:
        replacement = store.chunked("fetch", DAY, "stamp-3")
        replacement.write_chunk(0, new)
        replacement.commit(1)
        assert before.rows == 7000
        assert pl.concat([rows for _, rows in before.chunks(1000)]).equals(old)
    with store.reader("fetch", DAY) as after:
        assert after.slice(0, after.rows).equals(new)


def test_a_write_that_fails_midway_leaves_the_old_partition_and_nothing_else(warehouse_root: Location) -> None:
    store = PartitionStore(warehouse_root)
    store.write("fetch", DAY, pages(10))

    def broken_upstream() -> Iterator[pa.Table]:
        yield to_arrow(pages(5, "n"))
        raise OSError(104, "Connection reset by peer")

    with pytest.raises(OSError, match="Connection reset"):
        store.storage.write_parquet(store.location("fetch", DAY), broken_upstream())
    assert store.read("fetch", DAY).equals(pages(10))
    assert files_in(store, "fetch", f"date={DAY}") == ["part.parquet"]


def test_the_catalog_has_a_view_per_asset_over_every_partition_of_the_root(
    warehouse_root: Location, tmp_path: Path
) -> None:
    store = PartitionStore(warehouse_root)
    store.write("ingest", "2026-11-23", pages(2))
    store.write("ingest", DAY, pages(3))
    store.write("fetch", DAY, pages(3))
    catalog = tmp_path / "catalog.duckdb"
    assert store.refresh_catalog(lambda: open_catalog(catalog, storage=store.storage)) == ["fetch", "ingest"]
    store.write("ingest", DAY, pages(4, "n"))  # a rerun after the refresh: the views are globs, they see it
    with duckdb.connect(str(catalog), read_only=True) as con:
        register_warehouse(con, warehouse_root)
        counts = con.sql("select date, count(*), count(distinct record_id) from ingest group by 1 order by 1")
        assert counts.fetchall() == [(date(2026, 11, 23), 2, 2), (date(2026, 11, 24), 4, 4)]
        assert con.sql("select count(*) from \"fetch\" where status = 'ok'").fetchall() == [(2,)]


def test_a_missing_partition_says_what_to_materialize(warehouse_root: Location) -> None:
    store = PartitionStore(warehouse_root)
    assert not store.exists("fetch", DAY) and store.footer("fetch", DAY) == {}
    with pytest.raises(MissingPartitionError, match=f"materialize fetch for {DAY} first"):
        store.reader("fetch", DAY)
    assert store.assets_with_data() == []


def test_a_partition_replaced_while_a_reader_downloads_it_is_downloaded_again_whole(
    s3_root: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PartitionStore(s3_root)
    store.write("fetch", DAY, noise(1000, "old"))  # ~1 MiB: 16 ranged GETs of 64 KiB
    replaced: list[int] = []

    def copy_then_replace_midway(source: IO[bytes], target: IO[bytes], length: int = 0) -> None:
        target.write(source.read(64 * 1024))  # one ranged GET of the object as it was when opened
        if not replaced:
            replaced.append(1)
            store.write("fetch", DAY, noise(600, "new"))  # a rerun commits meanwhile
        while block := source.read(64 * 1024):  # the next GET asks for the first object's ETag: 412
            target.write(block)

    monkeypatch.setattr(object_storage, "copyfileobj", copy_then_replace_midway)
    with store.reader("fetch", DAY) as reader:
        assert replaced and reader.slice(0, reader.rows).equals(noise(600, "new"))


@pytest.mark.parametrize(
    ("root", "problem"),
    [("gs://bucket/warehouse", "only a local folder or an S3-compatible store"), ("s3://", "name a bucket")],
)
def test_a_root_that_names_no_usable_store_is_refused_in_words(root: str, problem: str) -> None:
    with pytest.raises(StorageError, match=problem):
        storage_at(root)


def test_a_bucket_that_does_not_exist_is_named_with_what_to_check(s3_root: str) -> None:
    store = PartitionStore(s3_root.replace("s3://warehouse-", "s3://missing-"))
    assert not store.exists("ingest", DAY)
    with pytest.raises(FileNotFoundError, match=r"cannot write s3://missing-.*the bucket must exist"):
        store.write("ingest", DAY, pages(2))
    with pytest.raises(FileNotFoundError, match="the bucket must exist"):
        store.chunked("ingest", DAY, "stamp")
