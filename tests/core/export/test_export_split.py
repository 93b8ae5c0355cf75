"""filed_images, export and export_files over stored partitions, as the assets run them: the same rows and files as the
single export step gave, each kept on an unchanged rerun, and each checked."""

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from content_pipeline.export.files_stage import made_from, rows_in_files, write_stored_day
from content_pipeline.export.filing_stage import FileImages, file_stored_day, image_ids
from content_pipeline.export.image_filing import FilingResult, ImageToFile, file_images
from content_pipeline.export.image_items import with_filing
from content_pipeline.export.records import build_records
from content_pipeline.export.stage import export_stored_day
from content_pipeline.quality.output_checks import every_image_filed, files_hold_every_row
from content_pipeline.schemas import CATEGORIZE_SCHEMA, CLASSIFY_SCHEMA, FETCH_SCHEMA, INGEST_SCHEMA, frame
from content_pipeline.stages import RECORD_STAGES, Stage
from content_pipeline.warehouse.partition_store import PartitionStore
from tests.core.export.test_records_and_files import DAY, stages
from tests.core.image_samples import image_bytes

KEY = DAY.isoformat()


def with_an_image(folder: Path) -> list[pl.DataFrame]:
    """The record stages of test_records_and_files plus a PNG from an image folder, classified as a graphic."""
    picture = folder / "Logo.png"
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_bytes(image_bytes("png"))
    row = {"record_id": "img", "status": "ok", "reason": ""}
    image = [
        frame(
            [{**row, "url": picture.as_uri(), "path": str(picture), "source": "folder", "added_on": DAY}], INGEST_SCHEMA
        ),
        frame([{**row, "content_type": "image/png", "body": picture.read_bytes()}], FETCH_SCHEMA),
        frame([{**row, "kind": "image", "details": json.dumps({"visual_category": "graphic"})}], CLASSIFY_SCHEMA),
        frame([{**row, "status": "no_text"}], CATEGORIZE_SCHEMA),
    ]
    return [pl.concat([base, extra], how="vertical_relaxed") for base, extra in zip(stages(), image, strict=True)]


@pytest.fixture
def store(tmp_path: Path) -> PartitionStore:
    store = PartitionStore(tmp_path / "warehouse")
    for stage, data in zip(RECORD_STAGES, with_an_image(tmp_path / "inbox" / "images"), strict=True):
        store.write(stage, KEY, data)
    return store


def filer(root: Path, calls: list[int]) -> FileImages:
    """Files into `root` (copy mode) and counts the images it was given per call."""

    def file(items: Sequence[ImageToFile]) -> list[FilingResult]:
        calls.append(len(items))
        return file_images(items, root)

    return file


def test_the_split_gives_the_rows_and_files_of_the_single_export_step(store: PartitionStore, tmp_path: Path) -> None:
    images, output = tmp_path / "output" / "images", tmp_path / "output"
    calls: list[int] = []
    filing = file_stored_day(store, KEY, filer(images, calls), None, "stamp")
    assert calls == [1] and filing.new_files == 1
    filed = store.read(Stage.FILED_IMAGES, KEY)
    assert filed.rows() == [("img", "filed", "", "graphic/logo.png")]
    assert (images / "graphic" / "logo.png").read_bytes() == image_bytes("png")
    assert every_image_filed(filed, image_ids(store, KEY)).passed

    export_stored_day(store, KEY, "stamp")
    exported = store.read(Stage.EXPORT, KEY)
    one_step = with_filing(build_records(*(store.read(stage, KEY) for stage in RECORD_STAGES)), filed)
    assert exported.equals(one_step)
    assert exported.filter(pl.col("record_id") == "img").select("status", "filed_path").row(0) == (
        "ok",
        "graphic/logo.png",
    )

    written = write_stored_day(store, KEY, output, "files-stamp")
    assert not written.unchanged and Path(written.report).is_file()
    counted = rows_in_files(written.files)
    assert counted == {"csv": len(exported), "parquet": len(exported)}
    assert files_hold_every_row(len(written.rows), counted).passed
    in_file = pl.read_parquet(written.files["parquet"])
    assert in_file.select(exported.columns[:3]).equals(exported.select(exported.columns[:3]))


def test_an_unchanged_rerun_keeps_export_and_the_files_and_files_the_images_again(
    store: PartitionStore, tmp_path: Path
) -> None:
    images, output = tmp_path / "output" / "images", tmp_path / "output"
    calls: list[int] = []
    file_stored_day(store, KEY, filer(images, calls), None, "stamp")
    export_stored_day(store, KEY, "stamp")
    first = write_stored_day(store, KEY, output, "files-stamp")
    written = {Path(p): Path(p).stat().st_mtime_ns for p in (*first.files.values(), first.report)}

    again = file_stored_day(store, KEY, filer(images, calls), None, "stamp")
    assert calls == [1, 1] and again.new_files == 0  # filed again (in case images moved), nothing copied twice
    assert store.read(Stage.FILED_IMAGES, KEY)["status"].to_list() == ["filed"]
    assert export_stored_day(store, KEY, "stamp").unchanged  # the same filing rows: the same partition
    kept = write_stored_day(store, KEY, output, "files-stamp")
    assert kept.unchanged and len(kept.rows) == len(first.rows)
    assert {path: path.stat().st_mtime_ns for path in written} == written

    report = Path(first.report)
    report.unlink()  # one file gone: the three are written again
    assert not write_stored_day(store, KEY, output, "files-stamp").unchanged
    assert report.is_file()
    assert not write_stored_day(store, KEY, output, "another-stamp").unchanged  # other code or output folder
    assert made_from(first.files["parquet"]) == f"another-stamp|export={store.stored_version(Stage.EXPORT, KEY)}"


def test_a_day_without_images_is_not_filed_again_when_nothing_changed(tmp_path: Path) -> None:
    store = PartitionStore(tmp_path / "warehouse")
    for stage, data in zip(RECORD_STAGES, stages(), strict=True):
        store.write(stage, KEY, data)
    calls: list[int] = []
    assert not file_stored_day(store, KEY, filer(tmp_path / "images", calls), None, "stamp").run.unchanged
    assert file_stored_day(store, KEY, filer(tmp_path / "images", calls), None, "stamp").run.unchanged
    assert calls == [] and store.read(Stage.FILED_IMAGES, KEY).is_empty()


def test_the_files_check_counts_a_csv_row_whose_cell_spans_lines(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    pl.DataFrame({"note": ["two\nlines", 'a "quote"\r\nand more', None]}).write_csv(path)
    assert rows_in_files({"csv": path}) == {"csv": 3}
    wrong = files_hold_every_row(4, {"csv": 3, "parquet": 4})
    assert not wrong.passed and wrong.description == "the export partition has 4 rows but records.csv holds 3"


def test_the_image_check_names_images_without_a_status_and_rows_that_are_no_image() -> None:
    filed = pl.DataFrame(
        {"record_id": ["a", "x"], "status": ["filed", "filed"], "reason": ["", ""], "path": ["p", "q"]}
    )
    outcome = every_image_filed(filed, {"a", "b"})
    assert not outcome.passed
    assert outcome.description == (
        "1 image(s) have no filing status, e.g. b; 1 row(s) are not images of the day, e.g. x"
    )
