import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

from content_pipeline.ingest.image_folder import image_folder_rows
from content_pipeline.schemas import INGEST_SCHEMA, frame
from content_pipeline.urls import stable_id
from tests.core.image_samples import image_bytes, write_samples

DAY = date(2026, 11, 24)


def noon(day: date) -> float:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


def dated(path: Path, day: date) -> Path:
    """Give a file a modification time at noon UTC on `day`."""
    os.utime(path, (noon(day), noon(day)))
    return path


def put(folder: Path, relative: str, data: bytes, day: date = DAY) -> Path:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return dated(path, day)


def inputs(rows: list[dict[str, object]]) -> list[object]:
    return [row["input_url"] for row in rows]


def test_images_of_every_format_are_picked_up_whatever_the_case_of_their_extension(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for path in write_samples(folder).values():
        dated(path, DAY)
    put(folder, "notes.txt", b"not an image")
    put(folder, "scan.tiff", b"II*\x00")
    rows = image_folder_rows([folder], DAY)
    assert inputs(rows) == [
        "SHOUT.JPG",
        "broken.jpg",
        "cat.jpg",
        "dog.jpeg",
        "fake.png",
        "leaf.png",
        "spin.gif",
        "wave.webp",
    ]
    cat = rows[2]
    resolved = (folder / "cat.jpg").resolve()
    assert cat["path"] == str(resolved)
    assert cat["url"] == resolved.as_uri()
    assert cat["record_id"] == stable_id("file", str(resolved))
    assert (cat["source"], cat["source_file"], cat["source_row"]) == ("folder", "photos/cat.jpg", None)
    assert (cat["status"], cat["reason"], cat["added_on"], cat["extra"]) == ("ok", "", DAY, "{}")
    assert frame(rows, INGEST_SCHEMA).height == len(rows)  # the rows fit the ingest schema


def test_subfolders_are_read_in_order_and_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    put(folder, "b/inner.png", image_bytes("png"))
    put(folder, "a/deeper/first.gif", image_bytes("gif"))
    put(folder, ".thumbnails/hidden.jpg", image_bytes("jpg"))
    put(folder, "~drafts/draft.jpg", image_bytes("jpg"))
    put(folder, ".hidden.png", image_bytes("png"))
    put(folder, "~lock.png", image_bytes("png"))
    rows = image_folder_rows([folder], DAY)
    assert inputs(rows) == ["a/deeper/first.gif", "b/inner.png"]
    assert rows[1]["source_file"] == "photos/b/inner.png"


def test_a_date_in_the_folder_or_file_name_picks_the_day_otherwise_the_modification_day(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    other_day = date(2026, 11, 23)
    put(folder, "2026-11-24/named-by-folder.jpg", image_bytes("jpg"), day=other_day)
    put(folder, "cat-2026-11-24.png", image_bytes("png"), day=other_day)
    put(folder, "2026-11-23/yesterday.jpg", image_bytes("jpg"), day=DAY)
    put(folder, "modified-today.webp", image_bytes("webp"), day=DAY)
    put(folder, "modified-yesterday.webp", image_bytes("webp"), day=other_day)
    assert inputs(image_folder_rows([folder], DAY)) == [
        "2026-11-24/named-by-folder.jpg",
        "cat-2026-11-24.png",
        "modified-today.webp",
    ]
    assert inputs(image_folder_rows([folder], other_day)) == ["2026-11-23/yesterday.jpg", "modified-yesterday.webp"]


def test_a_link_leading_out_of_the_folder_is_a_bad_file_row_and_one_inside_is_the_same_record(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    secret = put(tmp_path, "private/secret.png", image_bytes("png"))
    real = put(folder, "real.png", image_bytes("png"))
    (folder / "escape.png").symlink_to(secret)
    (folder / "also-real.png").symlink_to(real)
    (folder / "linked-dir").symlink_to(secret.parent, target_is_directory=True)
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    for name in ("escape.png", "also-real.png", "linked-dir", "loop.jpg"):
        os.utime(folder / name, (noon(DAY), noon(DAY)), follow_symlinks=False)
    rows = image_folder_rows([folder], DAY)
    assert [(row["input_url"], row["status"]) for row in rows] == [
        ("also-real.png", "ok"),
        ("escape.png", "bad_file"),
        ("linked-dir", "bad_file"),
        ("loop.jpg", "bad_file"),
        ("real.png", "duplicate"),
    ]
    first, second = rows[0], rows[4]
    assert first["path"] == second["path"] == str(real.resolve())
    assert second["duplicate_of"] == first["record_id"] != second["record_id"]
    assert rows[1]["reason"] == (
        "escape.png: a link that leads out of the image folder; not followed (put a copy of the file there instead)"
    )
    assert rows[3]["reason"] == "loop.jpg: a link that loops back on itself; not followed"
    assert "private" not in json.dumps(rows, default=str)  # nothing names where the links lead


def test_a_missing_or_wrong_folder_is_reported_as_a_bad_file_row_not_a_crash(tmp_path: Path) -> None:
    missing, not_a_folder = tmp_path / "nowhere", tmp_path / "file.txt"
    not_a_folder.write_text("x")
    rows = image_folder_rows([missing, not_a_folder], DAY)
    assert [row["status"] for row in rows] == ["bad_file", "bad_file"]
    assert str(missing) in str(rows[0]["reason"]) and "does not exist" in str(rows[0]["reason"])
    assert "is not a folder" in str(rows[1]["reason"])
    assert rows[0]["record_id"] == stable_id("folder", str(missing))
    assert frame(rows, INGEST_SCHEMA)["status"].to_list() == ["bad_file", "bad_file"]


def test_record_ids_are_the_same_on_every_read(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for path in write_samples(folder).values():
        dated(path, DAY)
    first = [row["record_id"] for row in image_folder_rows([folder], DAY)]
    again = [row["record_id"] for row in image_folder_rows([folder, folder], DAY)]
    assert first == again
    assert len(set(first)) == len(first)
