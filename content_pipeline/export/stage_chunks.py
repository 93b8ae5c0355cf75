"""The same chunk of records from several stages' partitions of a day (filed_images and export read them so)."""

from collections.abc import Mapping, Sequence

import polars as pl

from content_pipeline.stages import Stage
from content_pipeline.warehouse.partition_reader import PartitionReader

ID_SCAN_ROWS = 1000  # rows per slice when a stage's rows are looked up by record id


def chunk_of(
    readers: Mapping[str, PartitionReader],
    index: int,
    rows: int,
    columns: Mapping[str, Sequence[str] | None],
) -> list[pl.DataFrame]:
    """Chunk `index` of every stage in `readers` (ingest first, then the others in order), `columns[stage]` of
    each (None or absent: all). Stages keep ingest's row order, so a chunk is the same slice of each; a stage whose
    slice holds other records (a partition from before that rule) is read by record id instead."""
    ingest = readers[Stage.INGEST].chunk(index, rows, columns.get(Stage.INGEST))
    wanted = ingest["record_id"]
    frames = [ingest]
    for stage, reader in readers.items():
        if stage == Stage.INGEST:
            continue
        data = reader.chunk(index, rows, columns.get(stage))
        if not data["record_id"].equals(wanted):
            data = read_ids(reader, wanted.to_list(), columns.get(stage))
        frames.append(data)
    return frames


def read_ids(reader: PartitionReader, ids: Sequence[str], columns: Sequence[str] | None) -> pl.DataFrame:
    """The rows of `ids`, scanning the partition a slice at a time."""
    wanted = set(ids)
    parts = [chunk.filter(pl.col("record_id").is_in(wanted)) for _, chunk in reader.chunks(ID_SCAN_ROWS, columns)]
    return pl.concat(parts, how="vertical_relaxed")
