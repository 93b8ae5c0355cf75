"""Fetching the images of Drive folders through the Drive API (the real client against the local Drive server):
bytes under the body cap, md5Checksum checked, files gone since ingest, and a rerun that downloads nothing unchanged
(the HTTP cache remembers checksum, modifiedTime and bytes)."""

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from content_pipeline.drive.client import DriveClient
from content_pipeline.drive.errors import DriveFileTooLargeError
from content_pipeline.drive.image_source import drive_image_rows
from content_pipeline.drive.links import file_link
from content_pipeline.fetch.drive_files import DriveFileRequest, DriveFiles
from content_pipeline.fetch.http_cache import HttpCache
from content_pipeline.fetch.http_fetcher import HttpFetcher
from content_pipeline.fetch.settings import FetchSettings
from content_pipeline.fetch.stage import fetch_partition
from content_pipeline.ingest.combine import ingest_frame
from tests.core.drive.conftest import client_of
from tests.core.image_samples import FAKE_IMAGE_TEXT, image_bytes
from tests.fakes.drive_server import FakeDriveServer
from tests.fakes.sheets_server import DEFAULT_CLIENT_EMAIL

DAY = date(2026, 12, 1)
ON_DAY = "2026-12-01T09:30:00.000Z"
JPEG = image_bytes("jpg", size=(64, 48))
PNG = image_bytes("png", (20, 200, 20))


def ingested(server: FakeDriveServer, root: str) -> pl.DataFrame:
    return ingest_frame(drive_image_rows(client_of(server), [root], DAY))


def fetched(
    server: FakeDriveServer, data: pl.DataFrame, cache: HttpCache | None = None, max_bytes: int = 1_000_000
) -> dict[str, dict[str, object]]:
    """The fetch rows by the ingested row's input_url."""
    fetcher = HttpFetcher(FetchSettings(max_body_bytes=max_bytes), cache)
    out = fetch_partition(data, fetcher, "2026-12-01", drive=DriveFiles(lambda: client_of(server)))
    names = dict(zip(data["record_id"], data["input_url"], strict=True))
    return {names[row["record_id"]]: row for row in out.to_dicts()}


def media_ids(server: FakeDriveServer) -> list[str]:
    return sorted(r.path.rsplit("/", 1)[-1] for r in server.media_requests())


@pytest.fixture
def folder(server: FakeDriveServer) -> dict[str, str]:
    root = server.add_folder("Camera")
    return {
        "root": root,
        "cat.jpg": server.add_image("cat.jpg", root, JPEG, created=ON_DAY),
        "leaf.png": server.add_image("leaf.png", server.add_folder("sub", root), PNG, "image/png", created=ON_DAY),
    }


def test_images_are_downloaded_through_the_api_with_their_checksum_as_etag(
    server: FakeDriveServer, folder: dict[str, str]
) -> None:
    data = ingested(server, folder["root"])
    rows = fetched(server, data)
    cat, leaf = rows["cat.jpg"], rows["sub/leaf.png"]
    assert (cat["status"], cat["body"], cat["content_type"]) == ("ok", JPEG, "image/jpeg")
    assert (leaf["status"], leaf["body"], leaf["content_type"]) == ("ok", PNG, "image/png")
    assert cat["url"] == cat["final_url"] == file_link(folder["cat.jpg"])
    assert cat["etag"] == hashlib.md5(JPEG).hexdigest() and cat["last_modified"] == ON_DAY
    assert (cat["bytes"], cat["http_status"], cat["attempts"], cat["cache"]) == (len(JPEG), 200, 2, None)
    assert media_ids(server) == sorted([folder["cat.jpg"], folder["leaf.png"]])
    assert not any("127.0.0.1" in str(r["final_url"]) for r in rows.values())


def test_a_file_over_the_cap_is_too_large_without_a_download(server: FakeDriveServer, folder: dict[str, str]) -> None:
    data = ingested(server, folder["root"])
    rows = fetched(server, data, max_bytes=len(PNG) + 1)  # the JPEG is larger
    cat = rows["cat.jpg"]
    assert cat["status"] == "too_large" and cat["body"] is None and cat["bytes"] == len(JPEG)
    assert f"{len(JPEG)} bytes, over the limit of {len(PNG) + 1}" in str(cat["reason"])
    assert rows["sub/leaf.png"]["status"] == "ok"
    assert media_ids(server) == [folder["leaf.png"]]


def test_bytes_that_do_not_match_the_md5_checksum_are_refused(server: FakeDriveServer, folder: dict[str, str]) -> None:
    server.corrupt_media.add(folder["cat.jpg"])
    rows = fetched(server, ingested(server, folder["root"]))
    cat = rows["cat.jpg"]
    assert cat["status"] == "file_error" and cat["body"] is None
    assert "cat.jpg: the downloaded bytes do not match Drive's md5Checksum" in str(cat["reason"])
    assert hashlib.md5(JPEG).hexdigest() in str(cat["reason"])
    assert rows["sub/leaf.png"]["status"] == "ok"


def test_files_trashed_deleted_or_unshared_after_ingest_are_file_errors_saying_so(
    server: FakeDriveServer, folder: dict[str, str]
) -> None:
    root = folder["root"]
    text = server.add_image("note.jpg", root, FAKE_IMAGE_TEXT, created=ON_DAY)
    data = ingested(server, root)
    server.files[folder["cat.jpg"]].trashed = True
    del server.files[folder["leaf.png"]]
    rows = fetched(server, data)
    assert (rows["cat.jpg"]["status"], rows["cat.jpg"]["body"]) == ("file_error", None)
    assert "cat.jpg: the Drive file is in the trash" in str(rows["cat.jpg"]["reason"])
    leaf = rows["sub/leaf.png"]
    assert leaf["status"] == "file_error" and leaf["http_status"] == 404
    assert f"{folder['leaf.png']} is gone or no longer shared with {DEFAULT_CLIENT_EMAIL}" in str(leaf["reason"])
    note = rows["note.jpg"]
    assert (note["status"], note["reason"]) == ("unsupported_file", "note.jpg: the bytes are unknown, not an image")
    assert media_ids(server) == [text]  # nothing downloaded for files that are gone


def test_a_rerun_takes_unchanged_files_from_the_cache_and_downloads_only_changed_ones(
    server: FakeDriveServer, folder: dict[str, str], tmp_path: Path
) -> None:
    cache = HttpCache(tmp_path / "http.sqlite")
    data = ingested(server, folder["root"])
    first = fetched(server, data, cache)
    assert len(server.media_requests()) == 2
    server.drive_requests.clear()

    again = fetched(server, data, cache)
    assert server.media_requests() == []  # no alt=media request at all
    for name in ("cat.jpg", "sub/leaf.png"):
        assert (again[name]["status"], again[name]["cache"], again[name]["attempts"]) == ("ok", "not_modified", 1)
        assert again[name]["body"] == first[name]["body"]
        assert again[name]["etag"] == first[name]["etag"]

    edited = image_bytes("jpg", (10, 10, 250), (64, 48))
    server.change_data(folder["cat.jpg"], edited, "2026-12-01T11:00:00.000Z")
    server.drive_requests.clear()
    third = fetched(server, data, cache)
    assert media_ids(server) == [folder["cat.jpg"]]  # only the edited file
    assert (third["cat.jpg"]["body"], third["cat.jpg"]["cache"]) == (edited, None)
    assert third["sub/leaf.png"]["cache"] == "not_modified"
    cache.close()


def test_rate_limits_are_retried_and_a_drive_that_keeps_refusing_is_an_error_row(
    server: FakeDriveServer, folder: dict[str, str]
) -> None:
    data = ingested(server, folder["root"])
    server.fail_drive_next(2)
    rows = fetched(server, data)
    assert {r["status"] for r in rows.values()} == {"ok"}
    assert [r.status for r in server.drive_requests].count(403) == 2

    server.fail_drive_next(100)
    rows = fetched(server, data)
    assert {r["status"] for r in rows.values()} == {"error"}
    assert all("kept refusing" in str(r["reason"]) and "\n" not in str(r["reason"]) for r in rows.values())


def test_the_drive_client_is_made_only_for_a_chunk_with_drive_images(server: FakeDriveServer) -> None:
    def refuse() -> DriveClient:
        raise AssertionError("signed in to Drive without Drive images")

    csv_row = {"record_id": "r1", "url": "https://example.invalid/", "status": "empty_url", "source": "csv"}
    data = ingest_frame([{**csv_row, "source_file": "a.csv", "source_row": 1, "added_on": DAY, "reason": "x"}])
    out = fetch_partition(data, HttpFetcher(FetchSettings()), drive=DriveFiles(refuse))
    assert out["status"].to_list() == ["skipped"]

    root = server.add_folder("Camera")
    server.add_image("cat.jpg", root, JPEG, created=ON_DAY)
    without = fetch_partition(ingested(server, root), HttpFetcher(FetchSettings()))
    assert without["status"].to_list() == ["file_error"] and "no Drive connection" in without["reason"][0]


def test_a_download_stops_as_soon_as_it_passes_the_cap(server: FakeDriveServer, folder: dict[str, str]) -> None:
    client = client_of(server)
    assert client.download(folder["cat.jpg"], len(JPEG)) == JPEG
    with pytest.raises(DriveFileTooLargeError) as raised:
        client.download(folder["cat.jpg"], len(JPEG) - 1)  # a file that grew after files.get
    assert f"over the limit of {len(JPEG) - 1}" in str(raised.value)


def test_a_day_of_many_chunks_fetches_its_drive_images_on_a_few_cache_connections(
    server: FakeDriveServer, tmp_path: Path
) -> None:
    root = server.add_folder("Camera")
    for i in range(24):  # more chunks than the cache's pool has connections (5 + 10 overflow)
        server.add_image(f"img-{i:02d}.jpg", root, image_bytes("jpg", (i * 10, 80, 160), (64, 48)), created=ON_DAY)
    requests = [
        DriveFileRequest(str(row["record_id"]), str(row["url"]), str(row["url"]).split("/")[-2])
        for row in drive_image_rows(client_of(server), [root], DAY)
    ]
    cache = HttpCache(tmp_path / "http.sqlite")
    with DriveFiles(lambda: client_of(server)) as drive:
        for request in requests:  # one image a chunk: each chunk looks its image up in the cache
            (result,) = drive.fetch([request], 1_000_000, cache.stored)
            assert result.status == "ok", result.reason
            assert len(cache.runner.opened) <= drive.downloads  # the same threads, so the same connections
    assert len(requests) == 24 and len(server.media_requests()) == 24
    cache.close()
