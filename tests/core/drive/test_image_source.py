"""The images of Drive folders as ingest rows, read through the real client (google-auth's AuthorizedSession) from
the local Drive server on 127.0.0.1: sub-folders, shortcuts, trash, paging, rate limits and refused folders."""

import json
from datetime import date
from pathlib import Path

import pytest

from content_pipeline.drive.errors import DriveUnavailableError
from content_pipeline.drive.image_source import drive_image_rows
from content_pipeline.drive.links import file_link
from content_pipeline.drive.settings import DriveSettings
from content_pipeline.ingest.combine import ingest_frame
from content_pipeline.moved_images import MovedImage, MovedImages
from content_pipeline.urls import stable_id
from tests.core.drive.conftest import client_of
from tests.core.image_samples import image_bytes
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import DEFAULT_CLIENT_EMAIL

DAY = date(2026, 12, 1)
ON_DAY = "2026-12-01T09:30:00.000Z"
JPEG = image_bytes("jpg")


def ok_rows(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["input_url"]): r for r in rows if r["status"] == "ok"}


def problems(rows: list[dict[str, object]]) -> dict[str, str]:
    return {str(r["source_file"]): str(r["reason"]) for r in rows if r["status"] == "bad_file"}


def listed_folders(server: FakeDriveServer) -> list[str]:
    """The folder of each files.list request (`'<id>' in parents`), in order."""
    return [str(r.param("q")).split("'")[1] for r in server.drive_requests if r.path == "/drive/v3/files"]


def test_images_of_sub_folders_become_rows_with_their_drive_id_link_and_checksum(server: FakeDriveServer) -> None:
    root = server.add_folder("Camera")
    sub = server.add_folder("trips", root)
    deeper = server.add_folder("alps", sub)
    top = server.add_image("a.jpg", root, JPEG, created=ON_DAY)
    inner = server.add_image("b.png", sub, image_bytes("png"), "image/png", created=ON_DAY)
    no_suffix = server.add_image("scan", deeper, image_bytes("webp"), "image/webp", created=ON_DAY)
    server.set_times(server.add_file("notes.txt", root, b"text"), ON_DAY)
    server.set_times(server.add_file("old.gif", deeper, image_bytes("gif")), ON_DAY)  # by its name
    server.set_times(server.add_file(".hidden.jpg", root, JPEG), ON_DAY)

    rows = drive_image_rows(client_of(server), [root], DAY)
    found = ok_rows(rows)
    assert sorted(found) == ["a.jpg", "trips/alps/old.gif", "trips/alps/scan", "trips/b.png"]
    assert len(rows) == 4
    row = found["trips/b.png"]
    assert row["record_id"] == stable_id("drive", inner) and row["url"] == file_link(inner)
    assert row["path"] is None and row["source"] == "drive" and row["source_file"] == "Camera/trips/b.png"
    assert row["added_on"] == DAY
    extra = json.loads(str(row["extra"]))
    stored = server.files[inner]
    assert extra["drive_file_id"] == inner and extra["size"] == str(len(stored.data))
    assert extra["md5Checksum"] == stored.resource()["md5Checksum"] and extra["modifiedTime"] == ON_DAY
    assert found["a.jpg"]["url"] == file_link(top) and found["trips/alps/scan"]["url"] == file_link(no_suffix)
    assert listed_folders(server) == [root, sub, deeper]  # breadth-first, each folder once
    asked = {r.param("fields") for r in server.drive_requests if r.path == "/drive/v3/files"}
    assert all("createdTime" in str(f) and "md5Checksum" in str(f) for f in asked)


def test_the_day_is_the_utc_day_of_created_time_unless_the_path_names_one(server: FakeDriveServer) -> None:
    root = server.add_folder("Inbox")
    server.add_image("late.jpg", root, JPEG, created="2026-12-01T23:59:59.000Z")
    server.add_image("next.jpg", root, JPEG, created="2026-12-02T00:00:01.000Z")
    server.add_image("early.jpg", root, JPEG, created="2026-12-01T00:00:00.000Z")
    dated = server.add_folder("2026-11-30", root)
    server.add_image("named.jpg", dated, JPEG, created=ON_DAY)
    server.add_image("photo-2026-12-01.jpg", root, JPEG, created="2026-11-02T10:00:00.000Z")

    client = client_of(server)
    assert sorted(ok_rows(drive_image_rows(client, [root], DAY))) == ["early.jpg", "late.jpg", "photo-2026-12-01.jpg"]
    assert sorted(ok_rows(drive_image_rows(client, [root], date(2026, 12, 2)))) == ["next.jpg"]
    assert sorted(ok_rows(drive_image_rows(client, [root], date(2026, 11, 30)))) == ["2026-11-30/named.jpg"]


def test_trashed_files_and_folders_are_skipped(server: FakeDriveServer) -> None:
    root = server.add_folder("Camera")
    server.add_image("kept.jpg", root, JPEG, created=ON_DAY)
    server.set_times(server.add_file("binned.jpg", root, JPEG, trashed=True), ON_DAY)
    binned = server.add_folder("old", root)
    server.files[binned].trashed = True
    server.add_image("inside-binned.jpg", binned, JPEG, created=ON_DAY)

    rows = drive_image_rows(client_of(server), [root], DAY)
    assert list(ok_rows(rows)) == ["kept.jpg"] and len(rows) == 1
    assert all("trashed = false" in str(r.param("q")) for r in server.drive_requests if r.path == "/drive/v3/files")


def test_shortcuts_are_followed_once_to_folders_and_files_and_bad_targets_say_why(server: FakeDriveServer) -> None:
    root = server.add_folder("Camera")
    elsewhere = server.add_folder("Shared with me")  # shared with the account, not configured
    album = server.add_folder("album", elsewhere)
    in_album = server.add_image("in-album.jpg", album, JPEG, created=ON_DAY)
    lone = server.add_image("lone.png", elsewhere, image_bytes("png"), "image/png", created=ON_DAY)
    hidden = server.add_folder("Private", shared=False)
    secret = server.add_image("secret.jpg", hidden, JPEG, created=ON_DAY)
    binned = server.add_image("binned.jpg", elsewhere, JPEG, created=ON_DAY)
    server.files[binned].trashed = True
    server.set_times(server.add_shortcut("to-album", root, album), ON_DAY)
    server.set_times(server.add_shortcut("lone.png", root, lone), ON_DAY)
    server.set_times(server.add_shortcut("secret.jpg", root, secret), ON_DAY)
    server.set_times(server.add_shortcut("binned.jpg", root, binned), ON_DAY)
    to_shortcut = server.add_shortcut("again.jpg", elsewhere, lone)
    server.set_times(server.add_shortcut("twice.jpg", root, to_shortcut), ON_DAY)

    rows = drive_image_rows(client_of(server), [root], DAY)
    found = ok_rows(rows)
    assert sorted(found) == ["lone.png", "to-album/in-album.jpg"]
    assert found["lone.png"]["record_id"] == stable_id("drive", lone)  # ingested as the target file
    assert found["lone.png"]["url"] == file_link(lone)
    assert found["to-album/in-album.jpg"]["url"] == file_link(in_album)
    why = problems(rows)
    assert (
        f"its target {secret} does not exist or is not shared with {DEFAULT_CLIENT_EMAIL}" in why["Camera/secret.jpg"]
    )
    assert f"its target {binned} is in the Drive trash" in why["Camera/binned.jpg"]
    assert "a shortcut to a shortcut; not followed" in why["Camera/twice.jpg"]
    assert len(rows) == 5
    targets = [r.path.rsplit("/", 1)[-1] for r in server.drive_requests if r.path.startswith("/drive/v3/files/")]
    assert sorted(targets) == sorted([root, album, lone, secret, binned])  # each target resolved by one files.get


def test_a_shortcut_loop_and_a_file_reached_twice_are_read_once(server: FakeDriveServer) -> None:
    root = server.add_folder("A")
    other = server.add_folder("B")
    photo = server.add_image("photo.jpg", root, JPEG, created=ON_DAY)
    server.set_times(server.add_shortcut("to-b", root, other), ON_DAY)
    server.set_times(server.add_shortcut("back-to-a", other, root), ON_DAY)
    server.set_times(server.add_shortcut("photo-again.jpg", other, photo), ON_DAY)
    server.add_image("b.jpg", other, JPEG, created=ON_DAY)

    rows = drive_image_rows(client_of(server), [root, other, root], DAY)
    assert sorted(listed_folders(server)) == sorted([root, other])  # each folder listed once, no endless loop
    by_input = {str(r["input_url"]): r for r in rows}
    assert sorted(by_input) == ["photo.jpg", "to-b/b.jpg", "to-b/photo-again.jpg"]
    first = by_input["photo.jpg"]
    again = by_input["to-b/photo-again.jpg"]
    assert first["status"] == "ok" and first["record_id"] == stable_id("drive", photo)
    assert again["status"] == "duplicate" and again["duplicate_of"] == first["record_id"]
    assert "same Drive file" in str(again["reason"])
    data = ingest_frame(rows)  # the ingest partition keeps every id unique
    assert data["record_id"].n_unique() == 3


def test_folders_are_read_page_by_page(server: FakeDriveServer) -> None:
    root = server.add_folder("Many")
    names = [f"img-{i:02d}.jpg" for i in range(7)]
    for name in names:
        server.add_image(name, root, JPEG, created=ON_DAY)
    server.max_page_size = 2

    rows = drive_image_rows(client_of(server), [root], DAY)
    assert sorted(ok_rows(rows)) == names
    pages = [r for r in server.drive_requests if r.path == "/drive/v3/files"]
    assert len(pages) == 4 and [r.param("pageToken") for r in pages] == [None, "2", "4", "6"]


def test_rate_limits_are_retried_and_drive_unavailable_fails_in_one_line(server: FakeDriveServer) -> None:
    root = server.add_folder("Camera")
    server.add_image("a.jpg", root, JPEG, created=ON_DAY)
    server.fail_drive_next(3)  # 403 rateLimitExceeded three times
    rows = drive_image_rows(client_of(server), [root], DAY)
    assert list(ok_rows(rows)) == ["a.jpg"]
    assert [r.status for r in server.drive_requests][:4] == [403, 403, 403, 200]

    server.fail_drive_next(10)
    with pytest.raises(DriveUnavailableError) as raised:
        drive_image_rows(client_of(server, DriveSettings(max_attempts=3, backoff_initial_s=0.0)), [root], DAY)
    assert "\n" not in str(raised.value) and "rateLimitExceeded" in str(raised.value)


def test_a_folder_that_cannot_be_read_is_one_bad_file_row_and_the_others_are_read(server: FakeDriveServer) -> None:
    root = server.add_folder("Camera")
    server.add_image("a.jpg", root, JPEG, created=ON_DAY)
    hidden = server.add_folder("Private", shared=False)
    binned = server.add_folder("Binned")
    server.files[binned].trashed = True
    a_file = server.add_image("not-a-folder.jpg", root, JPEG, created="2026-01-01T00:00:00Z")
    link = f"https://drive.google.com/drive/folders/{root}?usp=sharing"

    rows = drive_image_rows(client_of(server), [hidden, link, binned, a_file, "not a link/"], DAY)
    assert list(ok_rows(rows)) == ["a.jpg"]
    why = problems(rows)
    assert f"the Drive folder {hidden} does not exist or is not shared" in why[hidden]
    assert DEFAULT_CLIENT_EMAIL in why[hidden]
    assert "is in the trash" in why[binned]
    assert "is a Drive file, not a folder" in why[a_file]
    assert "not a Drive folder link" in why["not a link/"]
    assert all("\n" not in reason for reason in why.values())
    assert len(rows) == 5


def test_the_folder_images_are_filed_into_is_not_read(server: FakeDriveServer) -> None:
    root = server.add_folder("Camera")
    filed = server.add_folder("images", root)
    server.add_image("a.jpg", root, JPEG, created=ON_DAY)
    server.add_image("filed.jpg", server.add_folder("photo", filed), JPEG, created=ON_DAY)

    rows = drive_image_rows(client_of(server), [root], DAY, exclude=[filed])
    assert list(ok_rows(rows)) == ["a.jpg"] and len(rows) == 1
    assert filed not in listed_folders(server)


def test_an_image_move_mode_filed_away_keeps_its_row_on_its_day(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("Camera")
    filed = server.add_folder("images")
    photo = server.add_image("a.jpg", root, JPEG, created=ON_DAY)
    server.add_image("b.jpg", root, JPEG, created=ON_DAY)
    client = client_of(server)
    first = drive_image_rows(client, [root], DAY)
    [row] = [r for r in first if r["input_url"] == "a.jpg"]
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    as_kept = {**row, "added_on": DAY.isoformat()}
    ledger.record(MovedImage(str(row["url"]), DAY.isoformat(), as_kept, file_link(photo), len(JPEG), "x"))
    server.files[photo].parents = [filed]  # moved: the same id in another folder

    again = drive_image_rows(client, [root], DAY, exclude=[filed], moved=ledger)
    assert sorted((r["input_url"], r["record_id"], r["added_on"]) for r in again) == sorted(
        (r["input_url"], r["record_id"], r["added_on"]) for r in first
    )
    assert drive_image_rows(client, [root], date(2026, 12, 2), moved=ledger) == []  # only on its own day
    other = server.add_folder("Other")
    assert drive_image_rows(client, [other], DAY, moved=ledger) == []  # only from a folder still configured
