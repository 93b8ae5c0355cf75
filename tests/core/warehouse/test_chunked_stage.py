"""A day processed chunk by chunk: same partition as written whole, resumable after a crash, atomic on commit."""

import polars as pl
import pytest

from content_pipeline.progress import StageProgress, listening
from content_pipeline.stages import Stage
from content_pipeline.warehouse.chunked_stage import process_stored_day
from content_pipeline.warehouse.content_hash import stage_content_version
from content_pipeline.warehouse.partition_store import PartitionStore
from content_pipeline.warehouse.storage import Location

DAY = "2026-11-30"


def upstream(rows: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": [f"r{i:05d}" for i in range(rows)],
            "body": [f"<p>page {i}</p>".encode() * 50 for i in range(rows)],
            "status": ["ok" if i % 7 else "http_error" for i in range(rows)],
        },
        schema={"record_id": pl.String(), "body": pl.Binary(), "status": pl.String()},
    )


def shout(chunk: pl.DataFrame) -> pl.DataFrame:
    return chunk.select(
        "record_id",
        "status",
        text=pl.col("body").cast(pl.String).str.to_uppercase(),
        word_count=pl.col("body").bin.size().cast(pl.Int64),
    )


class CrashError(Exception):
    pass


def crash_at(chunk_index: int, rows: int, calls: list[str]):  # type: ignore[no-untyped-def]
    """`shout`, recording the first record of every chunk it sees, raising at the chunk starting at chunk_index."""

    def process(chunk: pl.DataFrame) -> pl.DataFrame:
        first = chunk["record_id"][0]
        calls.append(first)
        if first == f"r{chunk_index * rows:05d}":
            raise CrashError(first)
        return shout(chunk)

    return process


@pytest.fixture
def store(warehouse_root: Location) -> PartitionStore:
    store = PartitionStore(warehouse_root)
    store.write("fetch", DAY, upstream(1234))
    return store


def run(store: PartitionStore, process, stamp: str = "v1", rows: int = 100):  # type: ignore[no-untyped-def]
    columns = ["record_id", "body", "status"]
    return process_stored_day(store, Stage.CLASSIFY, DAY, columns, rows, stamp, process)


def test_a_day_stored_chunk_by_chunk_equals_the_day_processed_whole(store: PartitionStore) -> None:
    done = run(store, shout)
    whole = shout(upstream(1234))
    stored = store.read("classify", DAY)
    assert stored.equals(whole)
    assert done.committed.rows == 1234 and done.chunks == 13
    assert done.committed.content_version == stage_content_version("classify", whole)
    assert done.committed.summary["text"].null_count() == 1234  # the slim copy leaves the main texts out
    assert done.committed.summary["status"].to_list() == whole["status"].to_list()


def test_a_crashed_day_keeps_the_old_partition_until_the_new_one_is_whole(store: PartitionStore) -> None:
    store.write("classify", DAY, pl.DataFrame({"record_id": ["old"]}))
    with pytest.raises(CrashError):
        run(store, crash_at(5, 100, []))
    assert store.read("classify", DAY)["record_id"].to_list() == ["old"]


def test_a_rerun_after_a_crash_does_only_the_chunks_not_stored_and_stores_the_same_rows(store: PartitionStore) -> None:
    calls: list[str] = []
    with pytest.raises(CrashError):
        run(store, crash_at(5, 100, calls))
    assert calls[-1] == "r00500"
    calls.clear()
    resumed = run(store, crash_at(-1, 100, calls))
    assert calls[0] == "r00500" and len(calls) == 8  # chunks 5..12; 0..4 were kept
    assert resumed.kept_chunks == 5
    assert store.read("classify", DAY).equals(shout(upstream(1234)))


def test_a_rerun_with_other_settings_or_another_upstream_starts_over(store: PartitionStore) -> None:
    calls: list[str] = []
    with pytest.raises(CrashError):
        run(store, crash_at(5, 100, calls))
    calls.clear()
    run(store, crash_at(-1, 100, calls), stamp="v2")
    assert len(calls) == 13

    with pytest.raises(CrashError):
        run(store, crash_at(5, 100, []))
    store.write("fetch", DAY, upstream(1234))  # fetch ran again meanwhile and stored the same rows: chunks stay good
    calls.clear()
    run(store, crash_at(-1, 100, calls))
    assert len(calls) == 8

    with pytest.raises(CrashError):
        run(store, crash_at(5, 100, []), stamp="v3")
    changed = upstream(1234).with_columns(status=pl.lit("ok"))  # fetch ran again and got other answers
    store.write("fetch", DAY, changed)
    calls.clear()
    run(store, crash_at(-1, 100, calls), stamp="v3")
    assert len(calls) == 13
    assert store.read("classify", DAY).equals(shout(changed))


def test_an_unchanged_rerun_keeps_the_partition_when_the_stage_allows_it(store: PartitionStore) -> None:
    calls: list[str] = []
    first = process_stored_day(
        store, Stage.CLASSIFY, DAY, ["record_id", "body", "status"], 100, "v1", shout, keep_if=lambda _: True
    )
    store.write("fetch", DAY, upstream(1234))  # the same rows again (a rerun of fetch that got 304s)
    again = process_stored_day(
        store, Stage.CLASSIFY, DAY, ["record_id", "body", "status"], 100, "v1", crash_at(-1, 100, calls),
        keep_if=lambda _: True,
    )  # fmt: skip
    assert calls == [] and again.unchanged
    assert again.committed.content_version == first.committed.content_version
    assert again.committed.summary.equals(first.committed.summary)

    code_changed = process_stored_day(
        store, Stage.CLASSIFY, DAY, ["record_id", "body", "status"], 100, "v2", shout, keep_if=lambda _: False
    )  # e.g. its rows hold errors a rerun could fix: the partition is stored without the mark that lets it be kept
    assert not code_changed.unchanged
    process_stored_day(
        store, Stage.CLASSIFY, DAY, ["record_id", "body", "status"], 100, "v2", crash_at(-1, 100, calls),
        keep_if=lambda _: True,
    )  # fmt: skip
    assert len(calls) == 13


def test_an_empty_day_is_stored_with_its_columns(warehouse_root: Location) -> None:
    store = PartitionStore(warehouse_root)
    store.write("fetch", DAY, upstream(0))
    done = run(store, shout)
    stored = store.read("classify", DAY)
    assert stored.is_empty() and stored.columns == ["record_id", "status", "text", "word_count"]
    assert done.chunks == 1


def test_progress_is_told_per_chunk_with_rows_done_of_the_total(store: PartitionStore) -> None:
    seen: list[tuple[int, int, bool]] = []

    class Recorder:
        def update(self, progress: StageProgress) -> None:
            seen.append((progress.done, progress.total, progress.finished))

    with listening(Recorder()):
        run(store, shout, rows=500)
    assert seen == [(0, 1234, False), (500, 1234, False), (1000, 1234, False), (1234, 1234, False), (1234, 1234, True)]


def test_a_reader_reads_any_slice_across_row_groups_with_only_the_columns_asked(store: PartitionStore) -> None:
    with store.reader("fetch", DAY) as reader:
        part = reader.slice(990, 1010, ["record_id"])
        assert part.columns == ["record_id"]
        assert part["record_id"].to_list() == [f"r{i:05d}" for i in range(990, 1010)]
        assert reader.slice(1230, 5000)["record_id"].to_list() == [f"r{i:05d}" for i in range(1230, 1234)]
        assert reader.slice(2000, 3000, ["record_id", "not_there"]).columns == ["record_id"]
