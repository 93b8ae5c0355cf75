"""Image folders with links, FIFOs, odd names and vanishing files: each image that is not read says why."""

import os
from datetime import UTC, date, datetime
from pathlib import Path

from content_pipeline.ingest.image_folder import image_folder_rows, image_row
from content_pipeline.schemas import INGEST_SCHEMA, frame
from tests.core.image_samples import image_bytes

DAY = date(2026, 11, 24)
OTHER_DAY = date(2026, 11, 20)


def on(path: Path, day: date) -> Path:
    """Give an entry itself (a link, not its target) a modification time at noon UTC on `day`."""
    stamp = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp), follow_symlinks=False)
    return path


def put(folder: Path, relative: str | bytes, day: date = DAY) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(relative))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes("png"))
    return on(path, day)


def test_fifos_and_links_to_nothing_are_bad_file_rows_on_the_day_of_their_own_mtime(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    put(folder, "cat.png")
    os.mkfifo(folder / "pipe.png")
    on(folder / "pipe.png", DAY)
    (folder / "gone.jpg").symlink_to(folder / "deleted.jpg")
    on(folder / "gone.jpg", DAY)
    os.mkfifo(folder / "inner-pipe")
    (folder / "to-pipe.gif").symlink_to(folder / "inner-pipe")
    on(folder / "to-pipe.gif", OTHER_DAY)
    rows = image_folder_rows([folder], DAY)
    assert [(row["input_url"], row["status"], row["reason"]) for row in rows] == [
        ("cat.png", "ok", ""),
        ("gone.jpg", "bad_file", "gone.jpg: a link to nothing (its target does not exist); not followed"),
        ("pipe.png", "bad_file", "pipe.png: a named pipe (FIFO), not a file; not read"),
    ]
    assert rows[2]["source_file"] == "photos/pipe.png" and rows[2].get("path") is None
    [other] = image_folder_rows([folder], OTHER_DAY)
    assert other["reason"] == "to-pipe.gif: a link to a named pipe (FIFO), not to a file; not read"


def test_hidden_names_and_names_without_an_image_extension_stay_silent(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    put(folder, "cat.png")
    os.mkfifo(folder / "notes.txt")
    os.mkfifo(folder / ".hidden.png")
    (folder / "~lock.png").symlink_to(tmp_path)
    for name in ("notes.txt", ".hidden.png", "~lock.png"):
        on(folder / name, DAY)
    assert [row["input_url"] for row in image_folder_rows([folder], DAY)] == ["cat.png"]


def test_names_that_are_not_utf8_are_bad_file_rows_shown_escaped_and_the_other_images_come_in(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "photos"
    put(folder, "cat.png")
    put(folder, b"dog-\xff.png")
    put(folder, b"caf\xe9/inside.png")
    rows = image_folder_rows([folder], DAY)
    assert [(row["input_url"], row["status"]) for row in rows] == [
        ("caf\\xe9/inside.png", "bad_file"),
        ("cat.png", "ok"),
        ("dog-\\xff.png", "bad_file"),
    ]
    assert (
        rows[2]["reason"]
        == "dog-\\xff.png: the name is not valid UTF-8; rename it (plain ASCII is safest) and it will be read"
    )
    assert rows[2]["source_file"] == "photos/dog-\\xff.png"
    frame(rows, INGEST_SCHEMA).write_parquet(tmp_path / "day.parquet")  # no lone surrogate in any column


def test_an_image_that_disappears_while_the_folder_is_read_is_a_bad_file_row_on_the_day_read(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    row = image_row(folder, folder / "listed-then-deleted.png", DAY)
    assert row is not None
    assert (row["status"], row["reason"]) == (
        "bad_file",
        "listed-then-deleted.png: disappeared while the folder was read; not read",
    )
    assert image_row(folder, folder / "gone-2026-11-20.png", DAY) is None  # its name says another day


def test_a_problem_seen_through_two_overlapping_folders_is_reported_once(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    os.mkfifo(folder / "sub" / "pipe.png")
    on(folder / "sub" / "pipe.png", DAY)
    rows = image_folder_rows([folder, folder / "sub"], DAY)
    assert [row["source_file"] for row in rows] == ["photos/sub/pipe.png"]
    assert frame(rows, INGEST_SCHEMA)["record_id"].n_unique() == 1
