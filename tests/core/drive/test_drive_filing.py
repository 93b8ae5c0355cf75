"""Images filed into Drive category folders through the real client (google-auth's AuthorizedSession and its token
flow) against the local Drive server on 127.0.0.1: the promises of the local filing, kept in Drive."""

from pathlib import Path

import pytest

from content_pipeline.drive.connect import connect
from content_pipeline.drive.errors import DriveError
from content_pipeline.drive.filing import DriveFiling, file_images_to_drive
from content_pipeline.drive.filing_names import name_families
from content_pipeline.drive.images_folder import drive_reader, output_folder
from content_pipeline.drive.links import file_link
from content_pipeline.drive.settings import DriveSettings
from content_pipeline.export.image_filing import ImageToFile, Mode
from content_pipeline.fetch.local_files import LocalFileRequest, read_local_files
from content_pipeline.moved_images import MovedImages
from content_pipeline.status import FetchStatus
from tests.core.drive.conftest import client_of
from tests.core.image_samples import image_bytes
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import DEFAULT_CLIENT_EMAIL, service_account_info

DAY = "2026-12-01"
PHOTO = b"\xff\xd8\xff\xe0" + b"photo bytes " * 50
OTHER = b"\xff\xd8\xff\xe0" + b"other bytes " * 50


def image(
    record_id: str = "rec00001",
    body: bytes | None = PHOTO,
    name: str = "Sunset.JPG",
    category: str | None = "photo",
    failure: str | None = None,
    source_path: Path | None = None,
    drive_file_id: str | None = None,
) -> ImageToFile:
    row: dict[str, object] | None = None
    if source_path is not None:
        row = {"record_id": record_id, "path": str(source_path), "url": None, "source": "folder", "added_on": DAY}
    if drive_file_id is not None:
        link = file_link(drive_file_id)
        row = {"record_id": record_id, "path": None, "url": link, "source": "drive", "added_on": DAY}
    return ImageToFile(
        record_id=record_id,
        category=category,
        suggested_name=None,
        original_name=name,
        source_path=source_path,
        body=body,
        extension="jpg",
        failure=failure,
        ingest_row=row,
        drive_file_id=drive_file_id,
    )


def tree(server: FakeDriveServer, root: str) -> dict[str, bytes]:
    """`<folder>/<name>` -> bytes of every untrashed file in the output folder's folders."""
    return {
        f"{folder.name}/{f.name}": f.data
        for folder in server.children(root)
        for f in server.children(folder.id)
        if f.mime_type != "application/vnd.google-apps.folder"
    }


def writes(server: FakeDriveServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.drive_requests if r.method != "GET"]


def file_all(
    server: FakeDriveServer, root: str, items: list[ImageToFile], mode: Mode = "copy", ledger: MovedImages | None = None
) -> list[tuple[str, str | None, str]]:
    results = file_images_to_drive(client_of(server), items, root, mode, ledger)
    return [(r.status, r.path, r.reason) for r in results]


def test_fetched_bytes_are_copied_into_their_category_folder_with_a_safe_name(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    assert file_all(server, root, [image()]) == [("filed", "photo/sunset.jpg", "")]
    assert tree(server, root) == {"photo/sunset.jpg": PHOTO}
    uploads = [r for r in server.drive_requests if r.path.startswith("/upload/")]
    assert [(r.method, r.param("uploadType")) for r in uploads] == [("POST", "multipart")]  # created, never PATCHed


def test_a_local_file_is_copied_and_stays_in_copy_mode(server: FakeDriveServer, tmp_path: Path) -> None:
    root = server.add_folder("Images")
    source = tmp_path / "Beach Day.jpg"
    source.write_bytes(OTHER)
    results = file_all(server, root, [image(body=None, name=source.name, source_path=source)])
    assert results == [("filed", "photo/beach-day.jpg", "")]
    assert tree(server, root) == {"photo/beach-day.jpg": OTHER}
    assert source.read_bytes() == OTHER


def test_different_bytes_under_a_name_get_numbered_names_and_identical_bytes_count_as_filed(
    server: FakeDriveServer,
) -> None:
    root = server.add_folder("Images")
    photo_folder = server.add_folder("photo", parent=root)
    server.add_file("sunset.jpg", photo_folder, b"someone else's picture")
    third = OTHER + b"3"
    items = [image("rec1", PHOTO), image("rec2", OTHER), image("rec3", third), image("rec4", PHOTO)]
    results = file_all(server, root, items)
    assert [(status, path) for status, path, _ in results] == [
        ("filed", "photo/sunset-2.jpg"),
        ("filed", "photo/sunset-3.jpg"),
        ("filed", "photo/sunset-4.jpg"),
        ("already_filed", "photo/sunset-2.jpg"),
    ]
    assert tree(server, root) == {
        "photo/sunset.jpg": b"someone else's picture",
        "photo/sunset-2.jpg": PHOTO,
        "photo/sunset-3.jpg": OTHER,
        "photo/sunset-4.jpg": third,
    }


def test_a_rerun_adds_nothing_to_drive(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    items = [image("rec1", PHOTO), image("rec2", OTHER, name="b.jpg", category="graphic")]
    file_all(server, root, items)
    before = tree(server, root)
    server.drive_requests.clear()
    results = file_all(server, root, items)
    assert [status for status, _, _ in results] == ["already_filed", "already_filed"]
    assert writes(server) == []
    assert tree(server, root) == before


def test_a_failed_item_goes_to_failures_with_its_reason_replaced_in_place_on_a_rerun(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    failed = image(category=None, failure="fetch http_error: HTTP 404", name="Missing Pic.jpg")
    assert file_all(server, root, [failed]) == [("failed", "failures/missing-pic.jpg", "fetch http_error: HTTP 404")]
    assert tree(server, root) == {
        "failures/missing-pic.jpg": PHOTO,
        "failures/missing-pic.jpg.reason.txt": b"fetch http_error: HTTP 404\n",
    }
    [folder] = server.children(root)
    [reason_id] = [f.id for f in server.children(folder.id) if f.name.endswith(".reason.txt")]
    again = image(category=None, failure="classify error: not an image", name="Missing Pic.jpg")
    file_all(server, root, [again])
    reasons = [f for f in server.children(folder.id) if f.name.endswith(".reason.txt")]
    assert [(f.id, f.data) for f in reasons] == [(reason_id, b"classify error: not an image\n")]
    assert len(server.children(folder.id)) == 2


def test_an_item_without_bytes_is_skipped(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    [(status, path, reason)] = file_all(server, root, [image(body=None)])
    assert (status, path) == ("skipped", None) and "nothing to file" in reason
    assert tree(server, root) == {}


def test_move_deletes_a_local_file_only_after_drive_holds_its_bytes_and_the_ledger_has_it(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("Images")
    source = tmp_path / "inbox" / "cat.jpg"
    source.parent.mkdir()
    source.write_bytes(PHOTO)
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    results = file_all(server, root, [image(body=None, name="cat.jpg", source_path=source)], "move", ledger)
    assert results == [("filed", "photo/cat.jpg", "source deleted")]
    assert not source.exists()
    [filed] = [f for folder in server.children(root) for f in server.children(folder.id)]
    assert filed.data == PHOTO
    [entry] = ledger.of_day(DAY)
    assert (entry.source, entry.filed, entry.size, entry.drive_file_id()) == (
        str(source),
        f"drive:{filed.id}",
        len(PHOTO),
        filed.id,
    )
    assert entry.filed_copy() is None


def test_a_corrupted_upload_keeps_the_local_source_and_leaves_no_damaged_file(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("Images")
    source = tmp_path / "cat.jpg"
    source.write_bytes(PHOTO)
    server.corrupt_uploads = 1
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    item = image(body=None, name="cat.jpg", source_path=source)
    [(status, path, reason)] = file_all(server, root, [item], "move", ledger)
    assert (status, path) == ("error", None)
    assert "does not match the source" in reason and "the source was kept" in reason
    assert source.read_bytes() == PHOTO
    assert tree(server, root) == {}  # the damaged copy is in the trash, not under the name
    [folder] = server.children(root)
    assert [f.name for f in server.children(folder.id, trashed=True)] == ["cat.jpg"]
    assert ledger.of_day(DAY) == []
    # The next run uploads it again, whole this time, under the same name.
    assert file_all(server, root, [item], "move", ledger) == [("filed", "photo/cat.jpg", "source deleted")]
    assert tree(server, root) == {"photo/cat.jpg": PHOTO} and not source.exists()


def test_a_drive_image_is_copied_on_the_server_in_copy_mode(server: FakeDriveServer) -> None:
    inbox = server.add_folder("Inbox")
    source = server.add_file("IMG_0001.JPG", inbox, PHOTO)
    root = server.add_folder("Images")
    results = file_all(server, root, [image(name="IMG_0001.JPG", drive_file_id=source)])
    assert results == [("filed", "photo/img-0001.jpg", "")]
    assert tree(server, root) == {"photo/img-0001.jpg": PHOTO}
    assert [f.id for f in server.children(inbox)] == [source]  # the original stays
    assert any(r.method == "POST" and r.path.endswith(f"/files/{source}/copy") for r in server.drive_requests)
    assert not any(r.path.startswith("/upload/") for r in server.drive_requests)  # no bytes sent


def test_a_drive_image_is_moved_keeping_its_id_and_the_move_is_in_the_ledger(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    inbox = server.add_folder("Inbox")
    source = server.add_file("IMG_0001.JPG", inbox, PHOTO)
    root = server.add_folder("Images")
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    item = image(name="IMG_0001.JPG", drive_file_id=source)
    [(status, path, _)] = file_all(server, root, [item], "move", ledger)
    assert (status, path) == ("filed", "photo/img-0001.jpg")
    moved = server.files[source]
    [photo_folder] = server.children(root)
    assert (moved.name, moved.parents, moved.data) == ("img-0001.jpg", [photo_folder.id], PHOTO)
    assert server.children(inbox) == []
    [entry] = ledger.of_day(DAY)
    assert (entry.source, entry.filed, entry.ingest_row["source"]) == (file_link(source), f"drive:{source}", "drive")

    server.drive_requests.clear()  # a rerun finds it where it was moved
    assert file_all(server, root, [item], "move", ledger) == [
        ("already_filed", "photo/img-0001.jpg", "it is in the images folder already")
    ]
    assert writes(server) == []
    assert [r.path for r in server.drive_requests if r.path.startswith(f"/drive/v3/files/{source}")] == []  # seen
    # in the listing of its folder: no question about the file itself


def test_a_rerun_of_copy_mode_asks_nothing_about_a_drive_image_whose_fetched_bytes_are_filed(
    server: FakeDriveServer,
) -> None:
    inbox = server.add_folder("Inbox")
    source = server.add_file("IMG_0001.JPG", inbox, PHOTO)
    root = server.add_folder("Images")
    item = image(name="IMG_0001.JPG", drive_file_id=source)  # with its fetched bytes, PHOTO
    assert file_all(server, root, [item]) == [("filed", "photo/img-0001.jpg", "")]
    server.drive_requests.clear()
    assert file_all(server, root, [item]) == [
        ("already_filed", "photo/img-0001.jpg", "an identical file is already there")
    ]
    assert writes(server) == []
    assert [r.path for r in server.drive_requests if r.path.startswith(f"/drive/v3/files/{source}")] == []


def test_a_drive_image_whose_bytes_are_filed_already_goes_to_the_trash_in_move_mode(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    inbox = server.add_folder("Inbox")
    source = server.add_file("sunset.jpg", inbox, PHOTO)
    root = server.add_folder("Images")
    file_all(server, root, [image("rec0", PHOTO)])  # filed from fetched bytes earlier
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    [(status, path, reason)] = file_all(server, root, [image(drive_file_id=source)], "move", ledger)
    assert (status, path) == ("already_filed", "photo/sunset.jpg")
    assert "trash" in reason
    assert server.files[source].trashed and tree(server, root) == {"photo/sunset.jpg": PHOTO}
    [entry] = ledger.of_day(DAY)
    assert entry.filed != f"drive:{source}" and entry.drive_file_id() in server.files


def test_a_drive_image_that_is_gone_is_an_error_of_that_item_only(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    results = file_all(server, root, [image("rec1", drive_file_id="nosuchfile"), image("rec2", OTHER, name="b.jpg")])
    assert results[0][0] == "error" and "nosuchfile is gone" in results[0][2]
    assert results[1][:2] == ("filed", "photo/b.jpg")


def test_an_unshared_output_folder_is_one_line_naming_the_account(server: FakeDriveServer) -> None:
    hidden = server.add_folder("Private", shared=False)
    with pytest.raises(DriveError) as raised:
        output_folder(client_of(server), hidden, "")
    message = str(raised.value)
    assert "\n" not in message and DEFAULT_CLIENT_EMAIL in message and hidden in message


def test_without_an_images_folder_the_images_sub_folder_of_the_export_folder_is_used(server: FakeDriveServer) -> None:
    exports = server.add_folder("Exports")
    chosen = output_folder(client_of(server), "", f"https://drive.google.com/drive/folders/{exports}")
    assert [(f.id, f.name) for f in server.children(exports)] == [(chosen, "images")]
    assert output_folder(client_of(server), "", exports) == chosen  # found again, not created twice
    with pytest.raises(DriveError, match="CONTENT_PIPELINE_DRIVE_IMAGES_FOLDER"):
        output_folder(client_of(server), "", "")


def test_rate_limits_are_retried_and_the_image_is_filed_once(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    server.fail_drive_next(2)  # 403 rateLimitExceeded twice
    assert file_all(server, root, [image()]) == [("filed", "photo/sunset.jpg", "")]
    assert [r.status for r in server.drive_requests[:3]] == [403, 403, 200]
    assert tree(server, root) == {"photo/sunset.jpg": PHOTO}


def test_fetch_reads_an_image_that_move_mode_put_into_drive_and_checks_it_against_the_ledger(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    picture = image_bytes("PNG")
    root = server.add_folder("Images")
    source = tmp_path / "inbox" / "logo.png"
    source.parent.mkdir()
    source.write_bytes(picture)
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    file_all(server, root, [image(body=None, name="logo.png", source_path=source)], "move", ledger)
    assert not source.exists()
    request = LocalFileRequest("rec00001", str(source))

    unread = read_local_files([request], [source.parent], 1_000_000, ledger)[0]  # no Drive reader: a clear reason
    assert unread.status == FetchStatus.FILE_ERROR and "does not read Google Drive" in (unread.reason or "")

    ledger.read_drive = drive_reader(lambda: client_of(server))
    [read] = read_local_files([request], [source.parent], 1_000_000, ledger)
    assert (read.status, read.body, read.content_type) == (FetchStatus.OK, picture, "image/png")
    [entry] = ledger.of_day(DAY)
    assert read.final_url == file_link(str(entry.drive_file_id()))

    server.files[str(entry.drive_file_id())].data = picture + b"changed"  # edited in Drive since it was moved
    [changed] = read_local_files([request], [source.parent], 1_000_000, ledger)
    assert changed.status == FetchStatus.FILE_ERROR and "changed since" in (changed.reason or "")

    del server.files[str(entry.drive_file_id())]  # deleted in Drive: this image fails, nothing else
    [gone] = read_local_files([request], [source.parent], 1_000_000, ledger)
    assert gone.status == FetchStatus.FILE_ERROR and "notFound" in (gone.reason or "")


def test_a_large_image_goes_up_in_a_resumable_upload_and_is_checked_like_a_small_one(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("Images")
    settings = DriveSettings(backoff_initial_s=0.0, resumable_above_bytes=1000, chunk_bytes=256 * 1024)
    client = connect(settings, service_account_info(server), endpoint=server.base_url)
    big = bytes(range(256)) * 2000  # 512,000 bytes: two chunks
    [result] = file_images_to_drive(client, [image(body=big)], root)
    assert (result.status, result.path) == ("filed", "photo/sunset.jpg")
    assert tree(server, root) == {"photo/sunset.jpg": big}
    assert [r.status for r in server.drive_requests if r.method == "PUT"] == [308, 200]
    server.corrupt_uploads = 1
    [damaged] = file_images_to_drive(client, [image("rec2", body=big + b"!")], root)
    assert damaged.status == "error" and "does not match the source" in damaged.reason
    assert tree(server, root) == {"photo/sunset.jpg": big}


def test_a_local_source_left_by_a_crash_after_its_upload_is_deleted_once_drive_confirms_the_copy(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("Images")
    photo_folder = server.add_folder("photo", parent=root)
    uploaded = server.add_file("cat.jpg", photo_folder, PHOTO)  # the upload went through, the delete did not
    source = tmp_path / "cat.jpg"
    source.write_bytes(PHOTO)
    ledger = MovedImages(tmp_path / "moved.sqlite", tmp_path / "images")
    item = image(body=None, name="cat.jpg", source_path=source)
    assert file_all(server, root, [item], "move", ledger) == [
        ("already_filed", "photo/cat.jpg", "an identical file is already there; source deleted")
    ]
    assert not source.exists() and tree(server, root) == {"photo/cat.jpg": PHOTO}
    assert any(r.method == "GET" and r.path.endswith(f"/files/{uploaded}") for r in server.drive_requests)
    assert [e.filed for e in ledger.of_day(DAY)] == [f"drive:{uploaded}"]


def test_images_filed_four_at_a_time_take_the_names_they_take_one_at_a_time(server: FakeDriveServer) -> None:
    root = server.add_folder("Images")
    bodies = [b"\xff\xd8\xff\xe0" + f"picture {n} ".encode() * 40 for n in range(24)]
    names = ["Sunset.jpg", "sunset.jpg", "Sunset-2.jpg", "beach.jpg", "sunset-2-2.jpg", "Beach.jpg"] * 4
    categories = ["photo", "photo", "photo", "graphic"] * 6
    items = [
        image(f"rec{n:05d}", body, name, category, failure="fetch http_error" if n % 7 == 3 else None)
        for n, (body, name, category) in enumerate(zip(bodies, names, categories, strict=True))
    ]

    one_at_a_time = server.add_folder("Serial")
    serial = DriveFiling(client_of(server), one_at_a_time, "copy", None, threads=1)(items)  # the reference
    parallel = DriveFiling(client_of(server), root, "copy", None, threads=4)(items)
    assert [(r.record_id, r.status, r.path) for r in parallel] == [(r.record_id, r.status, r.path) for r in serial]
    filed = tree(server, root)
    assert len(filed) == len(items) + sum(r.status == "failed" for r in parallel)  # each image once, reasons beside
    assert sorted(filed.values()) == sorted(tree(server, one_at_a_time).values())
    assert len({f.name for f in server.children(root)}) == len(server.children(root))  # no folder made twice

    server.drive_requests.clear()
    again = DriveFiling(client_of(server), root, "copy", None, threads=4)(items)
    assert {r.status for r in again} == {"already_filed", "failed"} and writes(server) == []


def test_only_items_that_could_take_one_name_are_filed_one_after_the_other() -> None:
    def families(*names: str, category: str = "photo") -> list[int]:
        numbered = name_families([image(f"rec{n:05d}", name=name, category=category) for n, name in enumerate(names)])
        return [sorted(set(numbered)).index(family) for family in numbered]

    assert families("a.jpg", "a-2.jpg", "a-2-3.jpg", "A.jpg") == [0, 0, 0, 0]  # a-2-3 is a-2's third name
    assert families("a-2.jpg", "a-3.jpg", "a-2-2.jpg") == [0, 1, 0]  # no name of a-2 is a name of a-3
    assert families("photo-0001.jpg", "photo-0002.jpg", "photo-1001.jpg") == [0, 1, 2]  # never numbered so
